// Tiny root filesystems built with gcc for the loader-rule tests. Each holds the host's
// own ld.so and libc, so glibc itself can be asked (in a chroot, in trace mode) what it
// would load: a second oracle next to the facts in glibc-loader-facts.md. Objects are
// compiled in a build directory outside the root and copied in, so nothing in the root
// exists by accident.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const TRIPLET_DIR = 'x86_64-linux-gnu';
const HOST_LIBDIR = `/usr/lib/${TRIPLET_DIR}`;
export const INTERP = '/lib64/ld-linux-x86-64.so.2';

export interface LinkOptions {
  soname?: string;
  /** Objects to link against, as returned by lib()/stub(): each becomes a DT_NEEDED. */
  needed?: string[];
  /** DT_RPATH (old dtags). */
  rpath?: string;
  /** DT_RUNPATH (new dtags). */
  runpath?: string;
  /** DF_1_NODEFLIB, spelled `-z nodefaultlib` by GNU ld. */
  nodeflib?: boolean;
  m32?: boolean;
}

export interface Trace {
  /** NEEDED name (or path, for the interpreter and slash names) -> path as ld.so printed it. */
  found: Map<string, string>;
  missing: string[];
  status: number | null;
  stderr: string;
}

let seq = 0;

export class SynthRoot {
  readonly dir: string;
  private readonly build: string;

  /**
   * `merged`: Debian's layout (lib -> usr/lib, loader and libc in /usr/lib/TRIPLET);
   * `flat`: a real /lib/TRIPLET. Both have /lib64/ld-linux-x86-64.so.2 as an absolute link
   * to /lib/TRIPLET/ld-linux-x86-64.so.2, as Debian ships it.
   */
  constructor(layout: 'merged' | 'flat' = 'merged') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-synth-root-'));
    this.build = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-synth-build-'));
    const libdir = layout === 'merged' ? `/usr/lib/${TRIPLET_DIR}` : `/lib/${TRIPLET_DIR}`;
    if (layout === 'merged') this.symlink('/lib', 'usr/lib');
    for (const f of ['ld-linux-x86-64.so.2', 'libc.so.6']) this.copyIn(path.join(HOST_LIBDIR, f), `${libdir}/${f}`);
    this.symlink(INTERP, `/lib/${TRIPLET_DIR}/ld-linux-x86-64.so.2`);
  }

  /** Host path of a rootfs path, for reading (the tests' own files have no links above them). */
  host(p: string): string {
    return path.join(this.dir, p);
  }

  /**
   * Host path to create rootfs path `p` at. Parents are resolved inside the root, so an
   * absolute link such as /lib64/ld-linux-x86-64.so.2 can never lead a write onto the host.
   */
  private place(p: string): string {
    const dir = this.realpath(path.posix.dirname(p));
    this.mkdir(dir);
    const h = path.join(this.host(dir), path.posix.basename(p));
    if (fs.lstatSync(h, { throwIfNoEntry: false })?.isSymbolicLink()) throw new Error(`${p} is a symlink in the test root; not writing through it`);
    return h;
  }

  mkdir(p: string): void {
    let cur = '/';
    for (const c of p.split('/').filter(Boolean)) {
      cur = this.realpath(path.posix.join(cur, c));
      if (!fs.existsSync(this.host(cur))) fs.mkdirSync(this.host(cur));
    }
  }

  write(p: string, text: string): void {
    fs.writeFileSync(this.place(p), text);
  }

  symlink(p: string, target: string): void {
    fs.symlinkSync(target, this.place(p));
  }

  copyIn(hostFile: string, p: string): void {
    fs.copyFileSync(hostFile, this.place(p));
  }

  /**
   * Compiles a shared library in the build dir (not in the root) and returns what to link
   * against. `file` (relative to the build dir) is returned as given: linked that way, a
   * library without SONAME becomes a NEEDED entry spelled as that relative path.
   */
  stub(o: LinkOptions & { name?: string; file?: string; code?: string }): string {
    const n = ++seq;
    const out = o.file ?? path.join(this.build, `${path.basename(o.name ?? o.soname ?? 'lib')}.${n}.so`);
    if (o.file) fs.mkdirSync(path.join(this.build, path.dirname(o.file)), { recursive: true });
    this.gcc(o.code ?? `int cc_fn_${n}(void) { return ${n}; }\n`, path.resolve(this.build, out), ['-shared', '-fPIC'], o);
    return out;
  }

  /** Host path of something stub() returned. */
  built(ref: string): string {
    return path.resolve(this.build, ref);
  }

  /** Compiles a shared library and installs it at rootfs path `p`; returns the build path to link against. */
  lib(p: string, o: LinkOptions & { code?: string } = {}): string {
    const ref = this.stub({ ...o, name: path.posix.basename(p) });
    this.copyIn(this.built(ref), p);
    return ref;
  }

  /** Compiles an executable at rootfs path `p`. */
  exe(p: string, o: LinkOptions = {}): void {
    const out = path.join(this.build, `exe.${++seq}`);
    this.gcc('int main(void) { return 0; }\n', out, [], o);
    this.copyIn(out, p);
    fs.chmodSync(this.host(this.realpath(p)), 0o755);
  }

  private gcc(code: string, out: string, kind: string[], o: LinkOptions): void {
    const src = `${out}.c`;
    fs.writeFileSync(src, code);
    const args = [...kind, ...(o.m32 ? ['-m32', '-nostdlib'] : []), '-o', out, src];
    if (o.soname) args.push(`-Wl,-soname,${o.soname}`);
    if (o.rpath !== undefined) args.push('-Wl,--disable-new-dtags', `-Wl,-rpath,${o.rpath}`);
    if (o.runpath !== undefined) args.push('-Wl,--enable-new-dtags', `-Wl,-rpath,${o.runpath}`);
    if (o.nodeflib) args.push('-Wl,-z,nodefaultlib');
    // --no-as-needed: the test code calls nothing, yet every listed object must become NEEDED.
    // (ld may warn that a library's own dependencies are not found at link time: harmless.)
    args.push('-Wl,--no-as-needed', ...(o.needed ?? []));
    execFileSync('gcc', args, { cwd: this.build, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** Builds the root's ld.so.cache from its ld.so.conf with the host's ldconfig (-X: no links made). */
  ldconfig(): void {
    this.mkdir('/var/cache/ldconfig');
    execFileSync('ldconfig', ['-X', '-r', this.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /**
   * glibc's own answer: LD_TRACE_LOADED_OBJECTS=1 in a chroot. By default ld.so is run
   * with the program as its argument (what ldd does), so the program's $ORIGIN comes from
   * the path given and /proc is not needed; `direct` execs the program itself, so the
   * kernel must find the interpreter inside the root.
   */
  trace(prog: string, direct = false): Trace {
    const argv = direct ? [this.dir, prog] : [this.dir, INTERP, prog];
    const r = spawnSync(this.chrootTracer(), argv, { encoding: 'utf8', env: {}, timeout: 30_000 });
    if (r.error) throw r.error;
    if (r.status === 127 && /^chroot:/m.test(r.stderr)) throw new Error(`cannot enter ${this.dir} (the trace oracle needs root): ${r.stderr.trim()}`);
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const line of r.stdout.split('\n')) {
      const t = line.trim();
      let m = /^(\S+) => not found$/.exec(t);
      if (m) { missing.push(m[1]); continue; }
      m = /^(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(t);
      if (m) { found.set(m[1], m[2]); continue; }
      m = /^(\S+) \(0x[0-9a-f]+\)$/.exec(t);
      if (m && !m[1].startsWith('linux-vdso')) found.set(m[1], m[1]);
    }
    return { found, missing, status: r.status, stderr: r.stderr };
  }

  /**
   * chroot(8) cannot be used: LD_TRACE_LOADED_OBJECTS in its environment would make the
   * host's ld.so trace chroot itself. This host program enters the root and only then
   * execs the target with the variable set.
   */
  private chrootTracer(): string {
    const out = path.join(this.build, 'chroot-trace');
    if (!fs.existsSync(out)) {
      fs.writeFileSync(`${out}.c`, [
        '#include <stdio.h>',
        '#include <unistd.h>',
        'int main(int argc, char **argv) {',
        '  char *env[] = { "LD_TRACE_LOADED_OBJECTS=1", NULL };',
        '  if (argc < 3 || chroot(argv[1]) != 0 || chdir("/") != 0) { perror("chroot"); return 127; }',
        '  execve(argv[2], argv + 2, env);',
        '  perror(argv[2]);',
        '  return 127;',
        '}',
        '',
      ].join('\n'));
      execFileSync('gcc', ['-o', out, `${out}.c`], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    return out;
  }

  /**
   * Canonical rootfs path of `p` as the kernel would resolve it inside a chroot: links
   * followed (absolute ones from the root), `..` taken physically. Kept independent of the
   * engine's resolver because it canonicalises the oracle's answers.
   */
  realpath(p: string, cwd = '/'): string {
    const parts = (p.startsWith('/') ? p : `${cwd}/${p}`).split('/').filter(Boolean);
    let cur: string[] = [];
    for (let hops = 0; parts.length > 0;) {
      const c = parts.shift()!;
      if (c === '.') continue;
      if (c === '..') { cur.pop(); continue; }
      const next = [...cur, c];
      const st = fs.lstatSync(this.host('/' + next.join('/')), { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) {
        if (++hops > 40) throw new Error(`symlink loop at /${next.join('/')}`);
        const t = fs.readlinkSync(this.host('/' + next.join('/')));
        if (t.startsWith('/')) cur = [];
        parts.unshift(...t.split('/').filter(Boolean));
        continue;
      }
      cur = next;
    }
    return '/' + cur.join('/');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(this.build, { recursive: true, force: true });
  }
}
