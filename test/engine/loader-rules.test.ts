// One synthetic rootfs per ld.so search rule, built with gcc. Each case asserts which file
// every NEEDED entry resolved to and how it was found (the expected answers follow
// /work/shared/reference/glibc-loader-facts.md), and, where it is cheap, that glibc itself
// agrees: the root carries the host's ld.so and libc, so running its ld.so on the program
// inside a chroot with LD_TRACE_LOADED_OBJECTS=1 is a second oracle.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { buildPlan, type DepNode, type Plan } from '../../src/engine';
import { readElf, DF_1_NODEFLIB } from '../../src/engine/elf';
import { SynthRoot, INTERP } from '../helpers/synthRoot';

const ML = '/usr/lib/x86_64-linux-gnu';
/** The first default directory; in the merged layout it is a link to ML. */
const LML = '/lib/x86_64-linux-gnu';
const DEFAULTS = [LML, ML, '/lib', '/usr/lib'];

interface Edge { by: string; byReal?: string; name: string; via: string; path?: string; real?: string; dir?: string; repeated?: boolean }

/** Every NEEDED (and interpreter) edge of the plan's tree, requester named by its path and canonical path. */
function edges(plan: Plan): Edge[] {
  const out: Edge[] = [];
  const walk = (n: DepNode) => {
    for (const c of n.needed) {
      out.push({ by: n.path ?? n.name, byReal: n.realPath, name: c.name, via: c.via, path: c.path, real: c.realPath, dir: c.dir, ...(c.repeated ? { repeated: true } : {}) });
      walk(c);
    }
  };
  for (const t of plan.tree) walk(t);
  return out;
}

/** The one edge `by` (requester's path or canonical path) -> `name`, reduced to the fields a case asserts. */
function edge(plan: Plan, by: string, name: string): Partial<Edge> {
  const hits = edges(plan).filter((e) => (e.by === by || e.byReal === by) && e.name === name);
  assert.equal(hits.length, 1, `expected one edge ${by} -> ${name}, have:\n${edges(plan).map((e) => `${e.by} -> ${e.name}`).join('\n')}`);
  const { via, real, dir } = hits[0];
  return { via, real, ...(dir !== undefined ? { dir } : {}) };
}

function files(plan: Plan): string[] {
  return plan.entries.filter((e) => e.type === 'file' || e.type === 'hardlink').map((e) => e.path).sort();
}

function unresolved(plan: Plan): string[] {
  return plan.unresolved.map((u) => `${u.soname} by ${u.neededBy}`).sort();
}

/**
 * glibc's answer in the chroot must equal ours: the same objects loaded under the same
 * names (canonical paths compared), and the same names not found.
 */
function assertGlibcAgrees(root: SynthRoot, plan: Plan, prog: string, direct = false): void {
  const t = root.trace(prog, direct);
  const want = [...t.found].map(([n, p]) => `${n} => ${root.realpath(p)}`).sort();
  const got = edges(plan).filter((e) => !e.repeated && e.real).map((e) => `${e.name} => ${e.real}`).sort();
  assert.deepEqual({ loaded: got, missing: [...new Set(plan.unresolved.map((u) => u.soname))].sort() },
    { loaded: want, missing: [...new Set(t.missing)].sort() }, `glibc in the chroot disagrees for ${prog} (stderr: ${t.stderr})`);
}

describe('loader rules on synthetic roots built with gcc', function () {
  this.timeout(120_000);
  const roots: SynthRoot[] = [];
  const mk = (layout?: 'merged' | 'flat') => {
    const r = new SynthRoot(layout);
    roots.push(r);
    return r;
  };
  afterEach(() => { for (const r of roots.splice(0)) r.remove(); });

  it('RPATH is inherited down the chain; RUNPATH is direct-only and cancels every RPATH for its object', async () => {
    const r = mk();
    const b = r.lib('/opt/rp/libb.so.1', { soname: 'libb.so.1' });
    const b2 = r.lib('/opt/rp/libb2.so.1', { soname: 'libb2.so.1' });
    r.lib(`${ML}/libb2.so.1`, { soname: 'libb2.so.1' }); // found only where /opt/rp is not searched
    const a = r.lib('/opt/rp/liba.so.1', { soname: 'liba.so.1', needed: [b, b2] });
    const a2 = r.lib('/opt/rp/liba2.so.1', { soname: 'liba2.so.1', runpath: '/opt/empty', needed: [b] });
    r.exe('/usr/bin/with-rpath', { rpath: '/opt/rp', needed: [a] });
    r.exe('/usr/bin/with-runpath', { runpath: '/opt/rp', needed: [a] });
    r.exe('/usr/bin/rpath-then-runpath', { rpath: '/opt/rp', needed: [a2] });

    const rp = await buildPlan({ root: r.dir, exes: ['/usr/bin/with-rpath'], autodeps: 'none' });
    assert.deepEqual(edge(rp, '/usr/bin/with-rpath', 'liba.so.1'), { via: 'rpath', real: '/opt/rp/liba.so.1', dir: '/opt/rp' });
    // liba has no paths of its own: the executable's RPATH finds its dependencies.
    assert.deepEqual(edge(rp, '/opt/rp/liba.so.1', 'libb.so.1'), { via: 'rpath', real: '/opt/rp/libb.so.1', dir: '/opt/rp' });
    assert.deepEqual(edge(rp, '/opt/rp/liba.so.1', 'libb2.so.1'), { via: 'rpath', real: '/opt/rp/libb2.so.1', dir: '/opt/rp' });
    assert.deepEqual(unresolved(rp), []);
    assertGlibcAgrees(r, rp, '/usr/bin/with-rpath');

    const run = await buildPlan({ root: r.dir, exes: ['/usr/bin/with-runpath'], autodeps: 'none' });
    assert.deepEqual(edge(run, '/usr/bin/with-runpath', 'liba.so.1'), { via: 'runpath', real: '/opt/rp/liba.so.1', dir: '/opt/rp' });
    // The executable's RUNPATH is not used for liba's dependencies.
    assert.deepEqual(unresolved(run), ['libb.so.1 by /opt/rp/liba.so.1']);
    assert.deepEqual(edge(run, '/opt/rp/liba.so.1', 'libb2.so.1'), { via: 'default', real: `${ML}/libb2.so.1`, dir: LML });
    assert.ok(!files(run).includes('/opt/rp/libb2.so.1'));
    assertGlibcAgrees(r, run, '/usr/bin/with-runpath');

    const mixed = await buildPlan({ root: r.dir, exes: ['/usr/bin/rpath-then-runpath'], autodeps: 'none' });
    assert.deepEqual(edge(mixed, '/usr/bin/rpath-then-runpath', 'liba2.so.1'), { via: 'rpath', real: '/opt/rp/liba2.so.1', dir: '/opt/rp' });
    // liba2 has RUNPATH, so not even the executable's RPATH applies to its own NEEDED.
    assert.deepEqual(unresolved(mixed), ['libb.so.1 by /opt/rp/liba2.so.1']);
    assertGlibcAgrees(r, mixed, '/usr/bin/rpath-then-runpath');
  });

  it('$ORIGIN is the directory a library was found in, through a directory symlink and a file symlink', async () => {
    const r = mk();
    // /opt/app/lib is a link to the versioned store; the library is found through it.
    r.symlink('/opt/app/lib', '../store/lib-1.0');
    const sib = r.lib('/opt/store/lib-1.0/libsib.so.1', { soname: 'libsib.so.1' });
    // "$ORIGIN/.." from /opt/app/lib: the kernel takes ".." after following the link, so
    // glibc lands in /opt/store; /opt/app/plugins is what a lexical clean-up would give.
    const p = r.lib('/opt/store/plugins/libp.so.1', { soname: 'libp.so.1' });
    r.lib('/opt/app/plugins/libp.so.1', { soname: 'libp.so.1' });
    const o = r.lib('/opt/store/lib-1.0/libo.so.1', { soname: 'libo.so.1', runpath: '$ORIGIN:$ORIGIN/../plugins', needed: [sib, p] });
    // A file symlink in a real directory: $ORIGIN is that directory, not the target's.
    const rr = r.lib('/opt/app/qplugins/libr.so.1', { soname: 'libr.so.1' });
    r.lib('/opt/store/qplugins/libr.so.1', { soname: 'libr.so.1' }); // where the realpath's $ORIGIN would lead
    r.lib('/opt/store/q/libq.so.1', { soname: 'libq.so.1', runpath: '$ORIGIN/../qplugins', needed: [rr] });
    r.symlink('/opt/app/lib2/libq.so.1', '../../store/q/libq.so.1');
    const q = r.stub({ soname: 'libq.so.1' });
    r.exe('/opt/app/bin/prog', { runpath: '$ORIGIN/../lib:$ORIGIN/../lib2', needed: [o, q] });

    const plan = await buildPlan({ root: r.dir, exes: ['/opt/app/bin/prog'], autodeps: 'none' });
    // Search dirs built from "$ORIGIN/.." may be shown raw or cleaned; compare them canonically.
    const canon = (e: Partial<Edge>) => ({ ...e, dir: e.dir === undefined ? undefined : r.realpath(e.dir) });
    const O = '/opt/store/lib-1.0/libo.so.1';
    assert.deepEqual(canon(edge(plan, '/opt/app/bin/prog', 'libo.so.1')), { via: 'runpath', real: O, dir: '/opt/store/lib-1.0' });
    assert.deepEqual(canon(edge(plan, O, 'libsib.so.1')), { via: 'runpath', real: '/opt/store/lib-1.0/libsib.so.1', dir: '/opt/store/lib-1.0' });
    assert.deepEqual(canon(edge(plan, '/opt/app/bin/prog', 'libq.so.1')), { via: 'runpath', real: '/opt/store/q/libq.so.1', dir: '/opt/app/lib2' });
    // libq was found as /opt/app/lib2/libq.so.1: its $ORIGIN is /opt/app/lib2, not /opt/store/q.
    assert.deepEqual(canon(edge(plan, '/opt/store/q/libq.so.1', 'libr.so.1')), { via: 'runpath', real: '/opt/app/qplugins/libr.so.1', dir: '/opt/app/qplugins' });
    // The links it went through are in the plan as links.
    const link = (p: string) => plan.entries.find((e) => e.path === p);
    assert.equal(link('/opt/app/lib')?.type, 'symlink');
    assert.equal(link('/opt/app/lib2/libq.so.1')?.type, 'symlink');
    // glibc opens "/opt/app/bin/../lib/../plugins/libp.so.1" and the kernel takes the second
    // ".." from /opt/store/lib-1.0, where the link led: no lexical clean-up of "..".
    assert.equal(edge(plan, O, 'libp.so.1').real, '/opt/store/plugins/libp.so.1', 'a ".." after a directory symlink must be resolved physically');
    assertGlibcAgrees(r, plan, '/opt/app/bin/prog');
  });

  it('follows an absolute interpreter symlink inside the rootfs, never on the host', async () => {
    // Flat layout: a real /lib, so the rootfs copy is /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    // while the same link text on the host would lead to /usr/lib/x86_64-linux-gnu/...
    const r = mk('flat');
    r.exe('/bin/prog');
    const plan = await buildPlan({ root: r.dir, exes: ['/bin/prog'], autodeps: 'none' });
    const interp = plan.tree[0].needed.find((n) => n.via === 'interpreter');
    assert.equal(interp?.name, INTERP);
    assert.equal(interp?.realPath, `${LML}/ld-linux-x86-64.so.2`);
    assert.deepEqual(interp?.chain.map((h) => [h.link, h.target]), [[INTERP, `${LML}/ld-linux-x86-64.so.2`]]);
    const ld = plan.entries.find((e) => e.path === `${LML}/ld-linux-x86-64.so.2`);
    assert.equal(ld?.type, 'file');
    assert.equal(ld?.size, fs.statSync(r.host(`${LML}/ld-linux-x86-64.so.2`)).size);
    const linkEntry = plan.entries.find((e) => e.path === INTERP);
    assert.deepEqual([linkEntry?.type, linkEntry?.linkTarget], ['symlink', `${LML}/ld-linux-x86-64.so.2`]);
    assert.deepEqual(files(plan), ['/bin/prog', `${LML}/ld-linux-x86-64.so.2`, `${LML}/libc.so.6`]);
    assert.ok(!plan.entries.some((e) => e.path.startsWith('/usr/')), 'an entry from the host layout crept in');
    // The kernel itself must find the interpreter inside the chroot: exec the program directly.
    assertGlibcAgrees(r, plan, '/bin/prog', true);
  });

  it('skips a 32-bit library that comes first in the search order and uses the 64-bit one after it', async () => {
    const r = mk();
    r.lib('/opt/w32/libw.so.1', { soname: 'libw.so.1', m32: true });
    const w = r.lib('/opt/w64/libw.so.1', { soname: 'libw.so.1' });
    assert.equal((await readElf(r.host('/opt/w32/libw.so.1'))).class, 32); // the decoy really is 32-bit
    r.exe('/usr/bin/prog', { rpath: '/opt/w32:/opt/w64', needed: [w] });
    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    assert.deepEqual(edge(plan, '/usr/bin/prog', 'libw.so.1'), { via: 'rpath', real: '/opt/w64/libw.so.1', dir: '/opt/w64' });
    assert.ok(!files(plan).includes('/opt/w32/libw.so.1'));
    assert.deepEqual(plan.warnings, []); // skipped silently, as ld.so does
    assertGlibcAgrees(r, plan, '/usr/bin/prog');
  });

  it('reads ld.so.conf with relative and absolute include globs in sorted order; its dirs beat the defaults', async () => {
    const r = mk();
    r.write('/etc/ld.so.conf', '# comment\ninclude ld.so.conf.d/*.conf\ninclude /etc/extra/*.conf\n');
    r.write('/etc/ld.so.conf.d/20-b.conf', '/opt/cb\n');
    // Nested relative include: relative to /etc/ld.so.conf.d, the file that holds it.
    r.write('/etc/ld.so.conf.d/10-a.conf', '/opt/ca\ninclude sub/*.conf\n');
    r.write('/etc/ld.so.conf.d/sub/x.conf', '/opt/csub\n');
    r.write('/etc/ld.so.conf.d/README', '/opt/nope\n'); // not *.conf: never read
    r.write('/etc/extra/1.conf', '/opt/cabs\n');
    const needed = [
      r.lib('/opt/ca/libca.so.1', { soname: 'libca.so.1' }),
      r.lib('/opt/csub/libcsub.so.1', { soname: 'libcsub.so.1' }),
      r.lib('/opt/cabs/libcabs.so.1', { soname: 'libcabs.so.1' }),
      r.lib('/opt/cb/libwin.so.1', { soname: 'libwin.so.1' }),
      // In two conf dirs: the one the sorted expansion lists first (10-a.conf) wins.
      r.lib('/opt/cb/libdup.so.1', { soname: 'libdup.so.1' }),
      r.lib('/opt/nope/libnope.so.1', { soname: 'libnope.so.1' }),
    ];
    r.lib(`${ML}/libwin.so.1`, { soname: 'libwin.so.1' });
    r.lib('/opt/ca/libdup.so.1', { soname: 'libdup.so.1' });
    r.exe('/usr/bin/prog', { needed });
    r.ldconfig(); // for the chroot oracle, which reads ld.so.cache; we read the conf

    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    const P = '/usr/bin/prog';
    assert.deepEqual(edge(plan, P, 'libca.so.1'), { via: 'ld.so.conf', real: '/opt/ca/libca.so.1', dir: '/opt/ca' });
    assert.deepEqual(edge(plan, P, 'libcsub.so.1'), { via: 'ld.so.conf', real: '/opt/csub/libcsub.so.1', dir: '/opt/csub' });
    assert.deepEqual(edge(plan, P, 'libcabs.so.1'), { via: 'ld.so.conf', real: '/opt/cabs/libcabs.so.1', dir: '/opt/cabs' });
    assert.deepEqual(edge(plan, P, 'libwin.so.1'), { via: 'ld.so.conf', real: '/opt/cb/libwin.so.1', dir: '/opt/cb' });
    assert.deepEqual(edge(plan, P, 'libdup.so.1'), { via: 'ld.so.conf', real: '/opt/ca/libdup.so.1', dir: '/opt/ca' });
    // The order the directories were searched in shows the sorted, nested expansion.
    assert.deepEqual(plan.unresolved, [{ soname: 'libnope.so.1', neededBy: P, searched: ['/opt/ca', '/opt/csub', '/opt/cb', '/opt/cabs', ...DEFAULTS] }]);
    assertGlibcAgrees(r, plan, P);
  });

  it('never uses a library at the same absolute path on the host', async () => {
    const r = mk();
    const H = `/usr/local/lib/cc-decoy-${randomBytes(4).toString('hex')}`;
    const dep = r.lib(`${H}/libdecoydep.so.1`, { soname: 'libdecoydep.so.1' });
    const inRoot = r.lib(`${H}/libdecoy.so.1`, { soname: 'libdecoy.so.1', needed: [dep] });
    // The host's copies: a bigger libdecoy with a different dependency, and a library the rootfs lacks.
    const marker = r.stub({ soname: 'libhostmarker.so.1' });
    const onHost = r.stub({ soname: 'libdecoy.so.1', needed: [marker], code: 'char cc_pad[200000] = { 1 };\n' });
    const hostOnly = r.stub({ soname: 'libhostonly.so.1' });
    r.exe('/usr/bin/prog', { rpath: H, needed: [inRoot, hostOnly] });
    fs.mkdirSync(H, { recursive: true });
    try {
      fs.copyFileSync(r.built(onHost), `${H}/libdecoy.so.1`);
      fs.copyFileSync(r.built(hostOnly), `${H}/libhostonly.so.1`);
      fs.copyFileSync(r.built(marker), `${H}/libhostmarker.so.1`);
      const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
      assert.deepEqual(edge(plan, '/usr/bin/prog', 'libdecoy.so.1'), { via: 'rpath', real: `${H}/libdecoy.so.1`, dir: H });
      assert.deepEqual(edge(plan, `${H}/libdecoy.so.1`, 'libdecoydep.so.1'), { via: 'rpath', real: `${H}/libdecoydep.so.1`, dir: H });
      assert.equal(plan.entries.find((e) => e.path === `${H}/libdecoy.so.1`)?.size, fs.statSync(r.host(`${H}/libdecoy.so.1`)).size);
      assert.notEqual(fs.statSync(r.host(`${H}/libdecoy.so.1`)).size, fs.statSync(`${H}/libdecoy.so.1`).size);
      assert.deepEqual(unresolved(plan), ['libhostonly.so.1 by /usr/bin/prog']);
      assert.ok(!files(plan).includes(`${H}/libhostmarker.so.1`));
      assertGlibcAgrees(r, plan, '/usr/bin/prog');
    } finally {
      fs.rmSync(H, { recursive: true, force: true });
    }
  });

  it('honours DF_1_NODEFLIB on the requesting object only: its NEEDED skip the default dirs', async () => {
    const r = mk();
    const def = r.lib(`${ML}/libdef.so.1`, { soname: 'libdef.so.1' });
    const def3 = r.lib(`${ML}/libdef3.so.1`, { soname: 'libdef3.so.1' });
    const nd = r.lib('/opt/nd/libnd.so.1', { soname: 'libnd.so.1', needed: [def3] });
    const n = r.lib(`${ML}/libn.so.1`, { soname: 'libn.so.1', nodeflib: true, runpath: '/opt/nd', needed: [def, nd] });
    assert.ok((await readElf(r.host(`${ML}/libn.so.1`))).flags1 & DF_1_NODEFLIB, 'gcc did not set DF_1_NODEFLIB');
    r.exe('/usr/bin/prog', { needed: [n] });
    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    const N = `${LML}/libn.so.1`;
    assert.deepEqual(edge(plan, '/usr/bin/prog', 'libn.so.1'), { via: 'default', real: `${ML}/libn.so.1`, dir: LML });
    assert.deepEqual(edge(plan, N, 'libnd.so.1'), { via: 'runpath', real: '/opt/nd/libnd.so.1', dir: '/opt/nd' });
    // libnd has no flag of its own: the default directories apply to it again.
    assert.deepEqual(edge(plan, '/opt/nd/libnd.so.1', 'libdef3.so.1'), { via: 'default', real: `${ML}/libdef3.so.1`, dir: LML });
    assert.deepEqual(plan.unresolved, [{ soname: 'libdef.so.1', neededBy: N, searched: ['/opt/nd'] }]);
    assertGlibcAgrees(r, plan, '/usr/bin/prog');
  });

  // glibc-loader-facts.md says NODEFLIB skips the cache outright. glibc 2.36 (dl-load.c,
  // and the chroot oracle below) drops only cache entries whose path starts with a default
  // directory ("/lib/", "/usr/lib/", ...); other ld.so.conf directories still count.
  it('under DF_1_NODEFLIB still uses ld.so.conf directories that are not under a default dir', async () => {
    const r = mk();
    r.write('/etc/ld.so.conf', '/opt/ndconf\n/usr/lib/cc-nd\n');
    const conf = r.lib('/opt/ndconf/libndconf.so.1', { soname: 'libndconf.so.1' });
    const sub = r.lib('/usr/lib/cc-nd/libndsub.so.1', { soname: 'libndsub.so.1' }); // under /usr/lib/: dropped
    const n = r.lib(`${ML}/libn.so.1`, { soname: 'libn.so.1', nodeflib: true, needed: [conf, sub] });
    r.exe('/usr/bin/prog', { needed: [n] });
    r.ldconfig();
    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    const N = `${LML}/libn.so.1`;
    assert.deepEqual(edge(plan, N, 'libndconf.so.1'), { via: 'ld.so.conf', real: '/opt/ndconf/libndconf.so.1', dir: '/opt/ndconf' });
    assert.deepEqual(unresolved(plan), [`libndsub.so.1 by ${N}`]);
    assertGlibcAgrees(r, plan, '/usr/bin/prog');
  });

  it('includes the baseline library, not a glibc-hwcaps variant next to it', async () => {
    const r = mk();
    const hw = r.lib(`${ML}/libhw.so.1`, { soname: 'libhw.so.1' });
    r.lib(`${ML}/glibc-hwcaps/x86-64-v3/libhw.so.1`, { soname: 'libhw.so.1' });
    const hwr = r.lib('/opt/hwr/libhwr.so.1', { soname: 'libhwr.so.1' });
    r.lib('/opt/hwr/glibc-hwcaps/x86-64-v2/libhwr.so.1', { soname: 'libhwr.so.1' });
    r.exe('/usr/bin/prog', { runpath: '/opt/hwr', needed: [hw, hwr] });
    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    assert.deepEqual(edge(plan, '/usr/bin/prog', 'libhw.so.1'), { via: 'default', real: `${ML}/libhw.so.1`, dir: LML });
    assert.deepEqual(edge(plan, '/usr/bin/prog', 'libhwr.so.1'), { via: 'runpath', real: '/opt/hwr/libhwr.so.1', dir: '/opt/hwr' });
    assert.deepEqual(plan.entries.filter((e) => e.path.includes('glibc-hwcaps')), []);
    // glibc on this CPU may pick a variant: that is the run-time choice, not what a
    // portable composition ships. It must at least be one of the two copies.
    const t = r.trace('/usr/bin/prog');
    assert.ok([`${LML}/libhw.so.1`, `${LML}/glibc-hwcaps/x86-64-v3/libhw.so.1`].includes(t.found.get('libhw.so.1') ?? ''), `glibc loaded ${t.found.get('libhw.so.1')}`);
  });

  it('reuses an already-loaded soname and loads breadth-first', async () => {
    const r = mk();
    // Reuse: libQ can only get libP.so.1 because the executable loaded it first.
    const P = r.lib('/opt/p/libP.so.1', { soname: 'libP.so.1' });
    const Q = r.lib(`${ML}/libQ.so.1`, { soname: 'libQ.so.1', needed: [P] });
    r.exe('/usr/bin/reuse', { runpath: '/opt/p', needed: [P, Q] });
    // Breadth first: the executable's own NEEDED libbfsC (default dir) loads before libbfsA's
    // dependencies are looked at, so libbfsA's RUNPATH copy of libbfsC is never used.
    const C = r.lib(`${ML}/libbfsC.so.1`, { soname: 'libbfsC.so.1' });
    r.lib('/opt/a/libbfsC.so.1', { soname: 'libbfsC.so.1' });
    const A = r.lib(`${ML}/libbfsA.so.1`, { soname: 'libbfsA.so.1', runpath: '/opt/a', needed: [C] });
    r.exe('/usr/bin/bfs', { needed: [A, C] });

    const reuse = await buildPlan({ root: r.dir, exes: ['/usr/bin/reuse'], autodeps: 'none' });
    assert.deepEqual(edge(reuse, '/usr/bin/reuse', 'libP.so.1'), { via: 'runpath', real: '/opt/p/libP.so.1', dir: '/opt/p' });
    assert.deepEqual(edge(reuse, `${LML}/libQ.so.1`, 'libP.so.1'), { via: 'loaded', real: '/opt/p/libP.so.1' });
    assert.deepEqual(unresolved(reuse), []);
    assertGlibcAgrees(r, reuse, '/usr/bin/reuse');

    const bfs = await buildPlan({ root: r.dir, exes: ['/usr/bin/bfs'], autodeps: 'none' });
    assert.deepEqual(edge(bfs, '/usr/bin/bfs', 'libbfsC.so.1'), { via: 'default', real: `${ML}/libbfsC.so.1`, dir: LML });
    assert.deepEqual(edge(bfs, `${LML}/libbfsA.so.1`, 'libbfsC.so.1'), { via: 'loaded', real: `${ML}/libbfsC.so.1` });
    assert.ok(!files(bfs).includes('/opt/a/libbfsC.so.1'));
    assertGlibcAgrees(r, bfs, '/usr/bin/bfs');
  });

  it('takes a NEEDED entry containing a slash as a path, absolute or relative to /', async () => {
    const r = mk();
    const abs = r.stub({ soname: '/opt/slash/libabs.so' });
    r.copyIn(r.built(abs), '/opt/slash/libabs.so');
    r.copyIn(r.built(abs), `${ML}/libabs.so`); // never searched for: the name is a path
    const rel = r.stub({ file: 'sub/librel.so' }); // no SONAME: NEEDED is "sub/librel.so"
    r.copyIn(r.built(rel), '/sub/librel.so');
    r.exe('/usr/bin/prog', { needed: [abs, rel] });
    assert.deepEqual((await readElf(r.host('/usr/bin/prog'))).needed.slice(0, 2), ['/opt/slash/libabs.so', 'sub/librel.so']);
    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    assert.deepEqual(edge(plan, '/usr/bin/prog', '/opt/slash/libabs.so'), { via: 'path', real: '/opt/slash/libabs.so', dir: '/opt/slash' });
    assert.deepEqual(edge(plan, '/usr/bin/prog', 'sub/librel.so'), { via: 'path', real: '/sub/librel.so', dir: '/sub' });
    assert.ok(!files(plan).includes(`${ML}/libabs.so`));
    assertGlibcAgrees(r, plan, '/usr/bin/prog'); // chroot(8) starts in /, as we assume
  });

  it('stops at a candidate that is not ELF: unresolved with a warning, not skipped', async () => {
    const r = mk();
    // Longer than an ELF header, so glibc's complaint is the header, not the length.
    r.write('/opt/t1/libtext.so.1', 'INPUT ( this is a text file that merely carries the name of a library, as linker scripts do )\n');
    const t = r.lib('/opt/t2/libtext.so.1', { soname: 'libtext.so.1' });
    r.exe('/usr/bin/prog', { rpath: '/opt/t1:/opt/t2', needed: [t] });
    const plan = await buildPlan({ root: r.dir, exes: ['/usr/bin/prog'], autodeps: 'none' });
    assert.deepEqual(plan.unresolved, [{ soname: 'libtext.so.1', neededBy: '/usr/bin/prog', searched: ['/opt/t1'] }]);
    assert.ok(plan.warnings.some((w) => w.includes('/opt/t1/libtext.so.1')), `no warning names the bad candidate: ${JSON.stringify(plan.warnings)}`);
    assert.ok(!files(plan).includes('/opt/t2/libtext.so.1'));
    // glibc gives up on the program right there.
    const g = r.trace('/usr/bin/prog');
    assert.match(g.stderr, /\/opt\/t1\/libtext\.so\.1: invalid ELF header/);
    assert.ok(![...g.found.values()].includes('/opt/t2/libtext.so.1'));
  });
});
