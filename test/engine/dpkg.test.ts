import { strict as assert } from 'node:assert';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComposeError } from '../../src/engine/errors';
import { detectPackageDatabase } from '../../src/engine/packages/detect';
import { compareDebianVersions } from '../../src/engine/packages/debVersion';
import { DpkgDatabase } from '../../src/engine/packages/dpkg';
import { parseAlternative, parseRelations, parseStatus } from '../../src/engine/packages/dpkgFormats';

const posix = path.posix;

/**
 * Test stand-in for the loader's confined resolution: follows every symlink component by
 * component, re-rooting absolute targets at `root`, so /lib -> usr/lib and absolute links
 * resolve inside the rootfs and never on the host.
 */
function confined(root: string) {
  const host = (p: string) => (p === '/' ? root : root.replace(/\/+$/, '') + p);
  return async (p: string): Promise<string> => {
    const todo = p.split('/').filter(Boolean);
    let cur = '/';
    for (let hops = 0; todo.length; ) {
      const c = todo.shift()!;
      if (c === '.') continue;
      if (c === '..') {
        cur = posix.dirname(cur);
        continue;
      }
      const next = cur === '/' ? '/' + c : cur + '/' + c;
      const st = await fsp.lstat(host(next)).catch(() => undefined);
      if (!st?.isSymbolicLink()) {
        cur = next;
        continue;
      }
      if (++hops > 40) throw new Error(`${p}: too many symlinks`);
      const t = await fsp.readlink(host(next));
      if (t.startsWith('/')) cur = '/';
      todo.unshift(...t.split('/').filter(Boolean));
    }
    return cur;
  };
}

async function write(root: string, rel: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fsp.writeFile(path.join(root, rel), text);
}

const STATUS = `Package: dpkg
Essential: yes
Status: install ok installed
Architecture: amd64
Version: 1.21.22
Description: package manager
 with a continuation line: that has a colon

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: glibc (2.36-9+deb12u4)
Version: 2.36-9+deb12u4
Section: libs

Package: libfoo1
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 1.2-3
Section: libs
Depends: libc6 (>= 2.34)
Provides: libfoo-abi (= 1.2)

Package: libfoo1
Status: install ok installed
Architecture: i386
Multi-Arch: same
Version: 1.2-3
Section: libs

Package: libfoo-dev
Status: install ok installed
Architecture: amd64
Version: 1.2-3
Section: libdevel

Package: mawk
Status: install ok installed
Architecture: amd64
Multi-Arch: foreign
Version: 1.3.4.20200120-3.1
Provides: awk, mail-transport-agent

Package: app
Status: hold ok installed
Architecture: amd64
Version: 1:2.0~rc1-1
Section: contrib/utils
Pre-Depends: dpkg (>= 1.19)
Depends: gawk | mawk, libfoo1 (>= 1.2), awk, python3:any (>= 3.9) | libfoo1:i386, mail-transport-agent
Recommends: missing-pkg | libfoo1:i386

Package: wrapper
Status: install ok installed
Architecture: all
Version: 1

Package: real-tool
Status: install ok installed
Architecture: amd64
Version: 1

Package: conf-pkg
Status: install ok installed
Architecture: all
Version: 1

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 0.1

Package: half
Status: install ok half-installed
Architecture: amd64
Version: 0.1
`;

/** A small merged-/usr rootfs with a dpkg database exercising every edge case. */
async function makeRootfs(): Promise<string> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'cc-dpkg-'));
  await fsp.mkdir(path.join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
  await fsp.mkdir(path.join(root, 'usr/lib/i386-linux-gnu'), { recursive: true });
  await fsp.mkdir(path.join(root, 'usr/bin'), { recursive: true });
  await fsp.symlink('usr/lib', path.join(root, 'lib'));
  await fsp.symlink('usr/bin', path.join(root, 'bin'));
  // An absolute link inside the rootfs: must resolve to <root>/usr/share, not the host's.
  await fsp.mkdir(path.join(root, 'usr/share/foo-data'), { recursive: true });
  await fsp.symlink('/usr/share/foo-data', path.join(root, 'usr/lib/foo'));
  await write(root, 'usr/lib/x86_64-linux-gnu/libc.so.6', 'x');
  await write(root, 'usr/lib/x86_64-linux-gnu/libfoo.so.1', 'x');
  await fsp.symlink('libfoo.so.1', path.join(root, 'usr/lib/x86_64-linux-gnu/libfoo.so'));
  await write(root, 'usr/lib/i386-linux-gnu/libfoo.so.1', 'x');
  await write(root, 'usr/bin/tool', 'wrapper');
  await write(root, 'usr/bin/tool.real', 'real');
  await fsp.mkdir(path.join(root, 'etc/alternatives'), { recursive: true });
  await fsp.symlink('/bin/nano', path.join(root, 'etc/alternatives/editor'));

  const d = 'var/lib/dpkg';
  await write(root, `${d}/status`, STATUS);
  await write(root, `${d}/info/dpkg.list`, '/.\n/usr\n/usr/bin\n/usr/bin/dpkg\n');
  // dpkg lists libc under its pre-merge name, and both spellings of the directory.
  await write(
    root,
    `${d}/info/libc6:amd64.list`,
    '/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu\n/lib/gone-dir/data\n',
  );
  await write(
    root,
    `${d}/info/libfoo1:amd64.list`,
    '/.\n/usr/lib/x86_64-linux-gnu/libfoo.so.1\n/usr/share/doc/libfoo1/copyright\n/lib/foo/plugin.so\n',
  );
  await write(root, `${d}/info/libfoo1:i386.list`, '/.\n/usr/lib/i386-linux-gnu/libfoo.so.1\n/usr/share/doc/libfoo1/copyright\n');
  await write(root, `${d}/info/libfoo-dev.list`, '/.\n/usr/lib/x86_64-linux-gnu/libfoo.so\n');
  await write(root, `${d}/info/mawk.list`, '/.\n/usr\n/usr/bin\n/usr/bin/mawk\n');
  await write(root, `${d}/info/app.list`, '/.\n/usr/bin\n/usr/bin/app\n');
  // wrapper diverts /usr/bin/tool and ships its own; real-tool's copy lands in tool.real.
  await write(root, `${d}/info/wrapper.list`, '/.\n/usr/bin/tool\n');
  await write(root, `${d}/info/real-tool.list`, '/.\n/usr/bin/tool\n/bin/tool2\n/bin/../usr/bin/tool3\n');
  await write(root, `${d}/info/conf-pkg.list`, '/.\n/etc/local.conf\n/etc/old.conf\n');
  await write(root, `${d}/info/conf-pkg.conffiles`, '/etc/local.conf\nremove-on-upgrade /etc/old.conf\n');
  await write(root, `${d}/info/gone.list`, '/etc/gone.conf\n');
  await write(root, `${d}/info/half.list`, '/usr/bin/half\n');
  await write(
    root,
    `${d}/diversions`,
    ['/usr/bin/tool', '/usr/bin/tool.real', 'wrapper', '/bin/tool2', '/bin/tool2.distrib', 'wrapper', '/etc/local.conf', '/etc/local.conf.orig', ':', ''].join('\n'),
  );
  await write(
    root,
    `${d}/alternatives/editor`,
    ['auto', '/usr/bin/editor', 'editor.1.gz', '/usr/share/man/man1/editor.1.gz', '', '/usr/bin/vim.basic', '30', '/usr/share/man/man1/vim.1.gz', '/bin/nano', '40', '', '', ''].join('\n'),
  );
  return root;
}

describe('dpkg database (synthetic rootfs)', () => {
  let root: string;
  let db: DpkgDatabase;
  before(async () => {
    root = await makeRootfs();
    db = new DpkgDatabase(root, confined(root));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('keeps only installed packages (hold counts, config-files and half-installed do not)', async () => {
    assert.deepEqual((await db.packages()).sort(), [
      'app', 'conf-pkg', 'dpkg', 'libc6:amd64', 'libfoo-dev', 'libfoo1:amd64', 'libfoo1:i386', 'mawk', 'real-tool', 'wrapper',
    ]);
    assert.equal(await db.info('gone'), undefined);
    assert.equal(await db.ownerOf('/usr/bin/half'), undefined);
  });

  it('finds the owner of a merged-/usr file that dpkg lists under /lib', async () => {
    assert.equal(await db.ownerOf('/usr/lib/x86_64-linux-gnu/libc.so.6'), 'libc6:amd64');
    // The pre-merge spelling is not a canonical path and owns nothing.
    assert.equal(await db.ownerOf('/lib/x86_64-linux-gnu/libc.so.6'), undefined);
    const files = await db.filesOf('libc6');
    assert.ok(files.includes('/usr/lib/x86_64-linux-gnu/libc.so.6'));
    assert.ok(!files.some((f) => f.startsWith('/lib/')), files.join(' '));
    // "/lib/x86_64-linux-gnu" and "/usr/lib/x86_64-linux-gnu" are one directory, listed once.
    assert.equal(files.filter((f) => f === '/usr/lib/x86_64-linux-gnu').length, 1);
    // The /lib link itself keeps its name: only directory parts are canonicalised.
    assert.ok(files.includes('/lib'));
  });

  it('tells the name a path is listed by when no package lists it canonically', async () => {
    assert.equal(await db.listedPath!('/usr/lib/x86_64-linux-gnu/libc.so.6'), '/lib/x86_64-linux-gnu/libc.so.6');
    assert.equal(await db.listedPath!('/usr/share/foo-data/plugin.so'), '/lib/foo/plugin.so');
    // libc6 lists the directory both ways: the canonical listing wins.
    assert.equal(await db.listedPath!('/usr/lib/x86_64-linux-gnu'), undefined);
    assert.equal(await db.listedPath!('/usr/bin/dpkg'), undefined);
    assert.equal(await db.listedPath!('/usr/bin/nothing'), undefined);
    // A listed name with ".." never becomes an archive path.
    assert.equal(await db.listedPath!('/usr/bin/tool3'), undefined);
    assert.ok(!(await db.filesOf('real-tool')).some((f) => f.includes('..')));
  });

  it('resolves absolute directory links inside the rootfs and keeps missing directories', async () => {
    assert.equal(await db.ownerOf('/usr/share/foo-data/plugin.so'), 'libfoo1:amd64');
    assert.ok((await db.filesOf('libc6:amd64')).includes('/usr/lib/gone-dir/data'));
  });

  it('does not resolve the last component (a package owns its symlink)', async () => {
    assert.equal(await db.ownerOf('/usr/lib/x86_64-linux-gnu/libfoo.so'), 'libfoo-dev');
    assert.equal(await db.ownerOf('/usr/lib/x86_64-linux-gnu/libfoo.so.1'), 'libfoo1:amd64');
  });

  it('applies diversions: the diverted-to path holds the other package’s file', async () => {
    assert.equal(await db.ownerOf('/usr/bin/tool'), 'wrapper');
    assert.equal(await db.ownerOf('/usr/bin/tool.real'), 'real-tool');
    assert.deepEqual(await db.ownersOf('/usr/bin/tool'), ['wrapper']);
    const files = await db.filesOf('real-tool');
    assert.ok(files.includes('/usr/bin/tool.real'));
    assert.ok(!files.includes('/usr/bin/tool'));
    // Diversions match dpkg's own names, then the directory is canonicalised.
    assert.ok(files.includes('/usr/bin/tool2.distrib'), files.join(' '));
    // A local diversion (":") applies to every package.
    assert.equal(await db.ownerOf('/etc/local.conf.orig'), 'conf-pkg');
    assert.equal(await db.ownerOf('/etc/local.conf'), undefined);
    assert.deepEqual(await db.diversions(), [
      { from: '/usr/bin/tool', to: '/usr/bin/tool.real', by: 'wrapper' },
      { from: '/bin/tool2', to: '/bin/tool2.distrib', by: 'wrapper' },
      { from: '/etc/local.conf', to: '/etc/local.conf.orig', by: undefined },
    ]);
  });

  it('reads conffiles, with flags and diversions', async () => {
    assert.deepEqual(await db.conffilesOf('conf-pkg'), ['/etc/local.conf.orig', '/etc/old.conf']);
    assert.deepEqual(await db.conffilesOf('mawk'), []);
  });

  it('handles multi-arch instances (libfoo1:amd64.list, libfoo1:i386.list)', async () => {
    assert.equal(await db.ownerOf('/usr/lib/i386-linux-gnu/libfoo.so.1'), 'libfoo1:i386');
    // Shared by both architectures of one package: the native one answers.
    assert.deepEqual(await db.ownersOf('/usr/share/doc/libfoo1/copyright'), ['libfoo1:amd64', 'libfoo1:i386']);
    assert.equal(await db.ownerOf('/usr/share/doc/libfoo1/copyright'), 'libfoo1:amd64');
    assert.equal((await db.info('libfoo1'))?.name, 'libfoo1:amd64');
    assert.equal((await db.info('libfoo1:i386'))?.architecture, 'i386');
    assert.equal((await db.info('mawk:amd64'))?.name, 'mawk');
    assert.deepEqual(await db.filesOf('libfoo1:i386'), ['/usr/lib/i386-linux-gnu/libfoo.so.1', '/usr/share/doc/libfoo1/copyright']);
  });

  it('gives a shared directory no single owner', async () => {
    assert.equal(await db.ownerOf('/usr/bin'), undefined);
    assert.deepEqual((await db.ownersOf('/usr/bin')).sort(), ['app', 'dpkg', 'mawk']);
  });

  it('exposes metadata and dependency groups', async () => {
    const app = await db.info('app');
    assert.ok(app);
    assert.equal(app.version, '1:2.0~rc1-1');
    assert.equal(app.section, 'utils');
    assert.deepEqual(app.depends, [['dpkg'], ['gawk', 'mawk'], ['libfoo1'], ['awk'], ['python3:any', 'libfoo1:i386'], ['mail-transport-agent']]);
    assert.deepEqual(app.recommends, [['missing-pkg', 'libfoo1:i386']]);
    assert.deepEqual(app.relations?.depends[0], [{ name: 'dpkg', op: '>=', version: '1.19' }]);
    assert.deepEqual((await db.info('libfoo1'))?.provides, ['libfoo-abi']);
    assert.equal((await db.info('libfoo1'))?.multiArch, 'same');
    // Source without its version; a package without the field is its own source.
    assert.equal((await db.info('libc6'))?.source, 'glibc');
    assert.equal(app.source, 'app');
    assert.equal((await db.info('dpkg'))?.essential, true);
    assert.equal(app.essential, false);
  });

  it('resolves "a | b" by the first installed alternative, and virtual names via Provides', async () => {
    const app = (await db.info('app'))!;
    const [pre, awkGroup, foo, awk, py, mta] = app.relations!.depends;
    assert.equal(await db.satisfy(pre, 'amd64'), 'dpkg');
    assert.equal(await db.satisfy(awkGroup, 'amd64'), 'mawk');
    assert.equal(await db.satisfy(foo, 'amd64'), 'libfoo1:amd64');
    assert.equal(await db.satisfy(awk, 'amd64'), 'mawk');
    assert.equal(await db.satisfy(py, 'amd64'), 'libfoo1:i386');
    assert.equal(await db.satisfy(mta, 'amd64'), 'mawk');
    assert.equal(await db.satisfy(app.relations!.recommends[0], 'amd64'), 'libfoo1:i386');
    // Version constraints are honoured, on packages and on versioned Provides.
    assert.equal(await db.satisfy([{ name: 'libfoo1', op: '>=', version: '1.3' }]), undefined);
    assert.equal(await db.satisfy([{ name: 'libfoo-abi', op: '>=', version: '1.0' }]), 'libfoo1:amd64');
    // An unversioned Provides cannot satisfy a versioned dependency.
    assert.equal(await db.satisfy([{ name: 'awk', op: '>=', version: '1' }]), undefined);
    // The depending package's architecture picks between co-installed instances.
    assert.equal(await db.satisfy([{ name: 'libfoo1' }], 'i386'), 'libfoo1:i386');
    assert.deepEqual(await db.resolveDependency('awk'), ['mawk']);
    assert.deepEqual(await db.resolveDependency('libfoo1'), ['libfoo1:amd64', 'libfoo1:i386']);
    assert.deepEqual(await db.resolveDependency('libfoo1:i386'), ['libfoo1:i386']);
    assert.deepEqual(await db.resolveDependency('nothing'), []);
  });

  it('parses alternatives and reads the current value from /etc/alternatives', async () => {
    assert.deepEqual(await db.alternatives(), [
      {
        name: 'editor',
        link: '/usr/bin/editor',
        mode: 'auto',
        current: '/bin/nano',
        slaves: [{ name: 'editor.1.gz', link: '/usr/share/man/man1/editor.1.gz' }],
        choices: [
          { path: '/usr/bin/vim.basic', priority: 30, slaves: { 'editor.1.gz': '/usr/share/man/man1/vim.1.gz' } },
          { path: '/bin/nano', priority: 40, slaves: {} },
        ],
      },
    ]);
  });

  it('builds the index once per instance', async () => {
    const fresh = new DpkgDatabase(root, confined(root));
    let calls = 0;
    const counting = new DpkgDatabase(root, async (p) => {
      calls++;
      return confined(root)(p);
    });
    await counting.ownerOf('/usr/bin/tool');
    const first = calls;
    await counting.ownerOf('/usr/lib/x86_64-linux-gnu/libc.so.6');
    await counting.filesOf('libc6');
    assert.equal(calls, first);
    // Only symlinked directories reach canonicalize: /var/lib/dpkg, /lib, /bin, /usr/lib/foo.
    assert.ok(first <= 4, `canonicalize called ${first} times`);
    assert.equal(await fresh.ownerOf('/usr/bin/mawk'), 'mawk');
  });

  it('detects the database, and nothing where there is none', async () => {
    assert.equal((await detectPackageDatabase(root, confined(root)))?.kind, 'dpkg');
    const empty = await fsp.mkdtemp(path.join(os.tmpdir(), 'cc-nodb-'));
    try {
      assert.equal(await detectPackageDatabase(empty, confined(empty)), undefined);
    } finally {
      await fsp.rm(empty, { recursive: true });
    }
  });
});

describe('dpkg file formats', () => {
  it('compares Debian versions as dpkg does', () => {
    const lt = (a: string, b: string) => {
      assert.ok(compareDebianVersions(a, b) < 0, `${a} < ${b}`);
      assert.ok(compareDebianVersions(b, a) > 0, `${b} > ${a}`);
    };
    lt('1.0~rc1', '1.0');
    lt('1.0~~', '1.0~');
    lt('2.0', '1:0.1');
    lt('1.0-1', '1.0-1+b1');
    lt('1.2.9', '1.2.10');
    lt('1.0', '1.0a');
    lt('1.0a', '1.0+');
    lt('2.36-9', '2.36-9+deb12u4');
    assert.equal(compareDebianVersions('1.0', '1.00'), 0);
    assert.equal(compareDebianVersions('0:1.0', '1.0'), 0);
  });

  it('parses relations with versions, qualifiers and alternatives', () => {
    assert.deepEqual(parseRelations('a (>= 1.0) | b:any, c:amd64 (<< 2~), d (> 1), e [amd64] <!nocheck>', 'f', 'x'), [
      [{ name: 'a', op: '>=', version: '1.0' }, { name: 'b', arch: 'any' }],
      [{ name: 'c', arch: 'amd64', op: '<<', version: '2~' }],
      [{ name: 'd', op: '>=', version: '1' }],
      [{ name: 'e' }],
    ]);
    assert.throws(() => parseRelations('ok, (broken', '/s/status', 'line 3 (pkg)'), (e: unknown) => {
      assert.ok(e instanceof ComposeError);
      assert.equal(e.file, '/s/status');
      assert.match(e.message, /line 3 \(pkg\): cannot parse dependency "\(broken"/);
      return true;
    });
  });

  it('reports a malformed status line with its number', () => {
    assert.throws(() => parseStatus('Package: a\nStatus: install ok installed\nno colon here\n', '/r/status'), /\/r\/status: line 3: expected "Field: value"/);
  });

  it('reports a truncated alternatives file with the file and line', () => {
    assert.throws(() => parseAlternative('x', 'auto\n/usr/bin/x\n\n/usr/bin/y\n', '/alt/x'), /\/alt\/x: line 5: priority "" is not an integer/);
    assert.throws(() => parseAlternative('x', 'auto\n/usr/bin/x\ns\n/usr/share/s\n\n/usr/bin/y\n7', '/alt/x'), /\/alt\/x: line 8: missing slave value for s/);
    assert.throws(() => parseAlternative('x', 'sometimes\n', '/alt/x'), /line 1: mode is "sometimes"/);
  });
});

describe('dpkg database (host rootfs)', function () {
  const hostHasDpkg = (() => {
    try {
      return readFileSync('/var/lib/dpkg/status', 'utf8').length > 0;
    } catch {
      return false;
    }
  })();
  let db: DpkgDatabase;
  let cpuMs = 0;
  before(async function () {
    if (!hostHasDpkg) this.skip();
    const c0 = process.cpuUsage();
    db = new DpkgDatabase('/', confined('/'));
    await db.ownerOf('/');
    const c = process.cpuUsage(c0);
    cpuMs = (c.user + c.system) / 1000;
  });

  it('reads the whole database well under a second of CPU', () => {
    assert.ok(cpuMs < 1000, `index build took ${cpuMs.toFixed(0)} ms of CPU`);
  });

  it('lists exactly the installed packages of the status file', async () => {
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    const installed = (status.match(/^Status: \S+ ok (installed|triggers-pending|triggers-awaited)$/gm) ?? []).length;
    assert.ok(installed > 100);
    assert.equal((await db.packages()).length, installed);
  });

  it('owns libc.so.6 by libc6:amd64 although the list says /lib/...', async () => {
    const list = readFileSync('/var/lib/dpkg/info/libc6:amd64.list', 'utf8').split('\n');
    assert.ok(list.includes('/lib/x86_64-linux-gnu/libc.so.6'), 'host list spells the pre-merge path');
    assert.equal(await db.ownerOf('/usr/lib/x86_64-linux-gnu/libc.so.6'), 'libc6:amd64');
    const info = await db.info('libc6');
    assert.equal(info?.name, 'libc6:amd64');
    assert.equal(info?.multiArch, 'same');
    assert.equal(info?.section, 'libs');
  });

  it('owns /usr/bin/sh by dash (listed as /bin/sh, diverted by dash itself)', async () => {
    assert.equal(await db.ownerOf('/usr/bin/sh'), 'dash');
  });

  it('follows a real diversion when both packages are installed', async function () {
    const divs = await db.diversions();
    const pg = divs.find((d) => d.from === '/usr/bin/pg_config');
    if (!pg || !(await db.info('libpq-dev'))) this.skip();
    assert.equal(await db.ownerOf('/usr/bin/pg_config'), pg!.by);
    assert.equal(await db.ownerOf(pg!.to), 'libpq-dev');
  });

  it('resolves dependencies of real packages', async () => {
    const bash = await db.info('bash');
    assert.ok(bash?.relations);
    for (const group of bash.relations.depends) assert.ok(await db.satisfy(group, bash.architecture), JSON.stringify(group));
    assert.ok((await db.resolveDependency('awk')).length > 0);
  });

  it('reports alternatives with the current link target', async () => {
    const awk = (await db.alternatives()).find((a) => a.name === 'awk');
    assert.ok(awk);
    assert.equal(awk.link, '/usr/bin/awk');
    assert.equal(awk.current, await fsp.readlink('/etc/alternatives/awk'));
    assert.ok(awk.choices.some((c) => c.path === awk.current));
  });
});
