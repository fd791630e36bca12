// Small hostile root filesystems, built in a temp dir per test from synthetic ELF objects
// (see elfBuilder.ts), with an `outside` directory next to the root that the engine must
// never read from or write to. Also: running the CLI (optionally as `nobody`), and
// polling helpers for the tests that interrupt a run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildElf, type ElfSpec } from './elfBuilder';

export const CLI = path.resolve(__dirname, '../../bin/container-compositor.js');
export const INTERP = '/lib64/ld-linux-x86-64.so.2';
export const LIBDIR = '/lib/x86_64-linux-gnu';

/** A path inside the root: a string, or raw bytes for names that are not UTF-8. */
export type RootPath = string | Buffer;

export class HostileRoot {
  /** Parent temp dir: holds root/ and outside/. */
  readonly base: string;
  readonly root: string;
  readonly outside: string;

  constructor(opts: { minimal?: boolean } = {}) {
    this.base = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-hostile-'));
    // Readable by every user, so the same tree serves the tests that run as nobody.
    fs.chmodSync(this.base, 0o755);
    this.root = path.join(this.base, 'root');
    this.outside = path.join(this.base, 'outside');
    fs.mkdirSync(this.root, { mode: 0o755 });
    fs.mkdirSync(this.outside, { mode: 0o755 });
    fs.mkdirSync(path.join(this.root, 'tmp'), { mode: 0o1777 });
    fs.chmodSync(path.join(this.root, 'tmp'), 0o1777);
    if (opts.minimal) return;
    // A flat multiarch layout: the loader, libc, and a program needing libc.
    this.elf(INTERP, { soname: 'ld-linux-x86-64.so.2' });
    this.elf(`${LIBDIR}/libc.so.6`, { soname: 'libc.so.6', needed: ['ld-linux-x86-64.so.2'] });
    this.file('/etc/ld.so.conf', 'include /etc/ld.so.conf.d/*.conf\n');
    this.dir('/etc/ld.so.conf.d');
  }

  /** Host path of a rootfs path (bytes kept as bytes). */
  host(p: string): string;
  host(p: RootPath): string | Buffer;
  host(p: RootPath): string | Buffer {
    return typeof p === 'string' ? path.join(this.root, p) : Buffer.concat([Buffer.from(this.root), p[0] === 0x2f ? p : Buffer.concat([Buffer.from('/'), p])]);
  }

  private parent(p: RootPath): void {
    const h = this.host(p);
    const parent = typeof h === 'string' ? path.dirname(h) : h.subarray(0, h.lastIndexOf(0x2f));
    fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
  }

  dir(p: RootPath, mode = 0o755): this {
    fs.mkdirSync(this.host(p), { recursive: true, mode });
    fs.chmodSync(this.host(p), mode);
    return this;
  }

  file(p: RootPath, data: string | Buffer, mode = 0o644): this {
    this.parent(p);
    fs.writeFileSync(this.host(p), data, { mode });
    fs.chmodSync(this.host(p), mode);
    return this;
  }

  elf(p: RootPath, spec: ElfSpec = {}, mode = 0o755): this {
    return this.file(p, buildElf(spec), mode);
  }

  /** An executable that needs libc.so.6 plus `needed`, with the usual interpreter. */
  program(p: RootPath, needed: (string | Buffer)[] = [], extra: ElfSpec = {}): this {
    return this.elf(p, { type: 2, interp: INTERP, needed: ['libc.so.6', ...needed], ...extra });
  }

  link(p: RootPath, target: string | Buffer): this {
    this.parent(p);
    fs.symlinkSync(target, this.host(p));
    return this;
  }

  fifo(p: string): this {
    this.parent(p);
    run('mkfifo', [this.host(p)]);
    return this;
  }

  /** A character device (the same numbers as /dev/null). */
  device(p: string): this {
    this.parent(p);
    run('mknod', [this.host(p), 'c', '1', '3']);
    return this;
  }

  /** A Unix socket file; the listener is closed, the file stays. */
  socket(p: string): this {
    this.parent(p);
    // A process that dies while listening leaves the socket file behind (a clean close would remove it).
    spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", this.host(p)]);
    if (!fs.lstatSync(this.host(p)).isSocket()) throw new Error(`could not make a socket at ${p}`);
    return this;
  }

  /** Every entry below `outside`, recursively (to prove nothing was written there). */
  outsideEntries(): string[] {
    return listTree(this.outside);
  }

  tmpEntries(): string[] {
    return fs.readdirSync(path.join(this.root, 'tmp'));
  }

  archive(name: string): string {
    return path.join(this.root, 'tmp', `${name}.tar.gz`);
  }

  cleanup(): void {
    spawnSync('umount', ['-l', path.join(this.root, 'tmp')], { stdio: 'ignore' });
    // chmod back whatever a test made unreadable, so removal cannot fail.
    spawnSync('chmod', ['-R', 'u+rwX', this.base], { stdio: 'ignore' });
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      out.push(path.join(rel, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name), path.join(rel, e.name));
    }
  };
  walk(dir, '');
  return out.sort();
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
}

export interface CliResult { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface CliOptions {
  /** Run as nobody:nogroup (setpriv), to meet permission errors as a normal user would. */
  asNobody?: boolean;
  timeoutMs?: number;
  /** Wrap in strace, writing its log here (every file-related syscall of every thread). */
  straceLog?: string;
}

let nobodyCli: string | undefined;

/**
 * The bundled CLI (dist/cli.js holds everything) copied where nobody can read it: the
 * clone itself may sit under a directory only root can enter.
 */
function cliForNobody(): string {
  if (!nobodyCli) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-cli-nobody-'));
    fs.chmodSync(dir, 0o755);
    nobodyCli = path.join(dir, 'cli.js');
    fs.copyFileSync(path.resolve(__dirname, '../../dist/cli.js'), nobodyCli);
    fs.chmodSync(nobodyCli, 0o644);
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return nobodyCli;
}

/** Whether the tests can run node as nobody here (setpriv present, node readable by all). */
export function canRunAsNobody(): boolean {
  return isRoot && spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', '0'], { stdio: 'ignore', cwd: os.tmpdir() }).status === 0;
}

function command(args: string[], opts: CliOptions): [string, string[]] {
  let cmd = process.execPath;
  let argv = [CLI, ...args];
  if (opts.asNobody) {
    argv = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', cmd, cliForNobody(), ...args];
    cmd = 'setpriv';
  }
  if (opts.straceLog) {
    argv = ['-f', '-qq', '-s', '4096', '-e', 'trace=%file', '-o', opts.straceLog, cmd, ...argv];
    cmd = 'strace';
  }
  return [cmd, argv];
}

/** Runs the built CLI and waits for it. A run that outlives the timeout is killed and fails the test. */
export function runCli(args: string[], opts: CliOptions = {}): CliResult {
  const [cmd, argv] = command(args, opts);
  const r = spawnSync(cmd, argv, {
    encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
    env: { ...process.env, CC_DEBUG: '' }, cwd: os.tmpdir(),
  });
  if (r.error) throw r.error;
  if (r.signal === 'SIGKILL') throw new Error(`CLI did not finish within ${opts.timeoutMs ?? 60_000} ms: ${args.join(' ')}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI without waiting; `done` resolves with its result. */
export function startCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const [cmd, argv] = command(args, opts);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CC_DEBUG: '' }, cwd: os.tmpdir() });
  let stdout = '', stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Fails unless `stderr` is one clear message: no stack trace, no "internal error". */
export function assertCleanError(r: CliResult, code: number, pattern: RegExp): void {
  const show = `exit ${r.status}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`;
  if (r.status !== code) throw new Error(`expected exit ${code}; got ${show}`);
  if (!pattern.test(r.stderr)) throw new Error(`stderr does not match ${pattern}; ${show}`);
  if (/^\s+at .+[:(]/m.test(r.stderr) || /internal error/.test(r.stderr)) throw new Error(`stack trace or internal error; ${show}`);
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Syscalls of a traced run that named a path under `dir`. strace prints paths in C string
 * syntax; matching the directory's text is enough here. readlink's buffer is its output
 * (the link text, which may well name `dir`), so only its path argument counts.
 */
export function tracedAccessesUnder(straceLog: string, dir: string): string[] {
  return fs.readFileSync(straceLog, 'utf8').split('\n').filter((line) => {
    if (/readlink(at)? resumed>/.test(line)) return false;
    const strings = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    const inputs = /\breadlink(at)?\(/.test(line) ? strings.slice(0, 1) : strings;
    return inputs.some((s) => s === dir || s.startsWith(dir + '/'));
  });
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export const isRoot = process.getuid?.() === 0;
