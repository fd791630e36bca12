// The ELF fuzzer's driver, shared by `npm run fuzz` (test/fuzz/elf-fuzz.ts) and the mocha
// test. Cases run in a worker thread; this thread watches it. A case that throws anything
// but an ElfError is a crash; a case that does not finish within the time bound (a hang,
// synchronous or not) or blows the worker's heap is one too: the worker is then ended and
// restarted after that case. Every crashing input is saved as a regression fixture.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildElf } from './elfBuilder';
import { caseRng, materialize, mutate, parseLayout, type Seed } from '../fuzz/mutators';

export const CRASH_DIR = path.resolve(__dirname, '..', 'fixtures', 'elf-crashers');

export interface Crash {
  /** Case index, or the fixture file when replaying. */
  index: number;
  kind: 'exception' | 'hang' | 'memory' | 'worker-died';
  message: string;
  /** Where the input was saved. */
  saved?: string;
  ops?: string[];
  seed?: string;
}

export interface FuzzResult {
  cases: number;
  seed: number;
  parsed: number;
  elfErrors: number;
  crashes: Crash[];
  durationMs: number;
  /** Slowest single case, in milliseconds, and its index. */
  slowestMs: number;
  slowestIndex: number;
  corpus: { name: string; size: number }[];
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Per-case time bound; a case still running after it is a hang. */
  timeoutMs?: number;
  /** Heap bound of the worker. */
  heapMb?: number;
  /** Where crashing inputs go (test/fixtures/elf-crashers by default). */
  crashDir?: string;
  /** Restrict mutations to these operations (see OPERATIONS in mutators.ts). */
  ops?: string[];
  log?: (line: string) => void;
}

// Host objects copied as seeds: small and large, executables, a static binary and shared
// libraries. Whatever of these exists is used; synthetic objects add the 32-bit and
// big-endian variants a x86-64 host does not have.
const HOST_CANDIDATES = [
  '/usr/bin/true', '/usr/bin/ls', '/sbin/ldconfig', '/usr/bin/python3',
  '/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libz.so.1',
  '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libm.so.6',
];
const MAX_SEED_BYTES = 16 << 20;
/** Real objects parse in about a millisecond; a case still running after this is a hang. */
export const DEFAULT_TIMEOUT_MS = 2000;

/** Copies the seed files into `dir` (host objects, then synthetic ones); returns their paths. */
export function prepareCorpus(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of HOST_CANDIDATES) {
    let real: string;
    try {
      real = fs.realpathSync(c);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const st = fs.statSync(real);
    if (!st.isFile() || st.size > MAX_SEED_BYTES) continue;
    const data = fs.readFileSync(real);
    if (!parseLayout(data)) continue;
    const dest = path.join(dir, `host-${path.basename(real)}`);
    fs.writeFileSync(dest, data);
    out.push(dest);
  }
  const synthetic: [string, Buffer][] = [
    ['syn-exe64le', buildElf({ type: 2, interp: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6', 'libm.so.6'], rpath: '/opt/a:$ORIGIN/../lib', flags1: 0x08000001 })],
    ['syn-lib32be', buildElf({ class: 32, endian: 'be', machine: 8, soname: 'libx.so.1', needed: ['liby.so.2'], runpath: '$ORIGIN' })],
    ['syn-pie32le', buildElf({ class: 32, machine: 3, interp: '/lib/ld-linux.so.2', needed: ['libc.so.6'], runpath: '/usr/local/lib' })],
    ['syn-exe64be', buildElf({ endian: 'be', machine: 43, type: 2, interp: '/lib64/ld-linux.so.2', needed: ['libc.so.6'], soname: 'x' })],
    ['syn-static64', buildElf({ type: 2, noDynamic: true, body: 512 })],
  ];
  for (const [name, data] of synthetic) {
    const dest = path.join(dir, name);
    fs.writeFileSync(dest, data);
    out.push(dest);
  }
  return out;
}

export function loadCorpus(paths: string[]): Seed[] {
  return paths.map((p) => {
    const data = fs.readFileSync(p);
    return { name: path.basename(p), data, layout: parseLayout(data)! };
  });
}

/** Saves a crashing input under its content hash; returns the path. */
export function saveCrasher(dir: string, bytes: Buffer): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, bytes);
  return file;
}

const WORKER = path.join(__dirname, 'elfFuzzWorker.ts');

interface WorkerMsg {
  type: 'crash' | 'stats';
  index?: number;
  message?: string;
  bytes?: Uint8Array;
  ops?: string[];
  seed?: string;
  parsed?: number;
  elfErrors?: number;
  slowestMs?: number;
  slowestIndex?: number;
}

export interface WorkerJob {
  mode: 'fuzz' | 'replay';
  corpus: string[];
  files: string[];
  seed: number;
  from: number;
  to: number;
  workDir: string;
  ops?: string[];
}

/**
 * Runs cases [job.from, job.to) in workers, restarting after a hang or a dead worker.
 * `regenerate` rebuilds the input of a case the worker could not report itself.
 */
async function supervise(job: WorkerJob, timeoutMs: number, heapMb: number, onCrash: (c: Crash, bytes?: Buffer) => void,
  onStats: (m: WorkerMsg) => void): Promise<void> {
  let from = job.from;
  while (from < job.to) {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    Atomics.store(shared, 0, from);
    const worker = new Worker(
      `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(WORKER)});`,
      { eval: true, workerData: { ...job, from, shared }, resourceLimits: { maxOldGenerationSizeMb: heapMb }, stdout: false, stderr: false },
    );
    const ended = await new Promise<{ kind: 'done' } | { kind: Crash['kind']; message: string }>((resolve) => {
      let last = from, since = Date.now();
      const timer = setInterval(() => {
        const cur = Atomics.load(shared, 0);
        if (cur !== last) {
          last = cur;
          since = Date.now();
        } else if (Date.now() - since > timeoutMs) {
          clearInterval(timer);
          resolve({ kind: 'hang', message: `no result after ${timeoutMs} ms` });
        }
      }, Math.min(100, timeoutMs / 4));
      worker.on('message', (m: WorkerMsg) => {
        if (m.type === 'crash') onCrash({ index: m.index!, kind: 'exception', message: m.message!, ops: m.ops, seed: m.seed }, Buffer.from(m.bytes!));
        else onStats(m);
      });
      worker.on('error', (e: NodeJS.ErrnoException) => {
        clearInterval(timer);
        resolve({ kind: e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'worker-died', message: e.message });
      });
      worker.on('exit', (code) => {
        clearInterval(timer);
        resolve(code === 0 && Atomics.load(shared, 1) === 1 ? { kind: 'done' } : { kind: 'worker-died', message: `worker exited with code ${code}` });
      });
    });
    await worker.terminate();
    if (ended.kind === 'done') return;
    const at = Atomics.load(shared, 0);
    onCrash({ index: at, kind: ended.kind, message: ended.message });
    from = at + 1;
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const crashDir = opts.crashDir ?? CRASH_DIR;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-fuzz-'));
  try {
    const paths = prepareCorpus(path.join(workDir, 'corpus'));
    const corpus = loadCorpus(paths);
    const result: FuzzResult = {
      cases: opts.cases, seed: opts.seed, parsed: 0, elfErrors: 0, crashes: [], durationMs: 0, slowestMs: 0, slowestIndex: -1,
      corpus: corpus.map((s) => ({ name: s.name, size: s.data.length })),
    };
    const onCrash = (c: Crash, bytes?: Buffer) => {
      if (!bytes) {
        // The worker could not report it (hang, heap): rebuild the input from the seed and index.
        const m = mutate(corpus, caseRng(opts.seed, c.index), opts.ops);
        bytes = materialize(corpus[m.seed], m);
        c.ops = m.ops;
        c.seed = corpus[m.seed].name;
      }
      c.saved = saveCrasher(crashDir, bytes);
      result.crashes.push(c);
      log(`CRASH case ${c.index} (${c.kind}): ${c.message}\n  seed file ${c.seed}, ops: ${c.ops?.join('; ')}\n  saved as ${c.saved}`);
    };
    const onStats = (m: WorkerMsg) => {
      result.parsed += m.parsed ?? 0;
      result.elfErrors += m.elfErrors ?? 0;
      if ((m.slowestMs ?? 0) > result.slowestMs) {
        result.slowestMs = m.slowestMs!;
        result.slowestIndex = m.slowestIndex!;
      }
      if (m.index !== undefined) log(`  ${m.index} cases done, ${Math.round((Date.now() - t0) / 1000)} s`);
    };
    await supervise({ mode: 'fuzz', corpus: paths, files: [], seed: opts.seed, from: 0, to: opts.cases, workDir, ops: opts.ops },
      opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.heapMb ?? 512, onCrash, onStats);
    result.durationMs = Date.now() - t0;
    return result;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

export interface ReplayResult { file: string; outcome: 'parsed' | 'elf-error' | Crash['kind']; message?: string }

/** Runs readElf on every saved crasher (in a worker, with the same bounds). */
export async function replayCrashers(dir = CRASH_DIR, opts: { timeoutMs?: number; heapMb?: number } = {}): Promise<ReplayResult[]> {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort().map((f) => path.join(dir, f)) : [];
  const results: ReplayResult[] = files.map((file) => ({ file, outcome: 'parsed' }));
  if (!files.length) return results;
  const elfErrorIdx = new Set<number>();
  await supervise({ mode: 'replay', corpus: [], files, seed: 0, from: 0, to: files.length, workDir: dir },
    opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.heapMb ?? 512,
    (c) => { results[c.index] = { file: files[c.index], outcome: c.kind, message: c.message }; },
    (m) => { for (const i of (m as { elfErrorIndexes?: number[] }).elfErrorIndexes ?? []) elfErrorIdx.add(i); });
  for (const i of elfErrorIdx) if (results[i].outcome === 'parsed') results[i].outcome = 'elf-error';
  return results;
}
