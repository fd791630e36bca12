// Worker side of the ELF fuzzer (see elfFuzz.ts). Applies each mutation to a working copy
// of its seed (a few pwrites instead of a copy, undone afterwards), runs readElf on it and
// classifies the outcome. Slot 0 of the shared array is the case in progress, which the
// supervising thread watches; slot 1 is set when every case has run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { describe, isExecutable, readElf, type ElfInfo } from '../../src/engine/elf';
import { ElfError } from '../../src/engine/errors';
import { caseRng, materialize, mutate, type Mutation, type Seed } from '../fuzz/mutators';
import { loadCorpus, type WorkerJob } from './elfFuzz';

const job = workerData as WorkerJob & { shared: Int32Array };
const port = parentPort!;
const SHOWN = 'fuzz-case';
const RSS_LIMIT = 2 * 1024 ** 3;

/** Checks that a parsed result is well-typed, so a bad value cannot hide behind "no throw". */
function check(info: ElfInfo): void {
  const ok = typeof info.type === 'number' && typeof info.machine === 'number' && (info.class === 32 || info.class === 64)
    && Array.isArray(info.needed) && info.needed.every((n) => typeof n === 'string')
    && [info.interp, info.soname, info.rpath, info.runpath].every((s) => s === undefined || typeof s === 'string')
    && Number.isInteger(info.flags1) && info.file === SHOWN;
  if (!ok) throw new Error(`malformed result ${JSON.stringify(info)}`);
  describe(info);
  isExecutable(info);
}

async function classify(file: string): Promise<'parsed' | 'elf-error' | Error> {
  try {
    check(await readElf(file, SHOWN));
    return 'parsed';
  } catch (e) {
    if (e instanceof ElfError && typeof e.message === 'string' && e.message.startsWith(`${SHOWN}: `)) return 'elf-error';
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Working copies of the seeds, patched in place. */
class Workbench {
  private fds: number[];
  private scratch: string;

  constructor(private corpus: Seed[], dir: string) {
    this.fds = corpus.map((s, i) => {
      const p = path.join(dir, `work-${threadId}-${i}`);
      fs.writeFileSync(p, s.data);
      return fs.openSync(p, 'r+');
    });
    this.scratch = path.join(dir, `work-${threadId}-truncated`);
  }

  path(i: number): string {
    return path.join(path.dirname(this.scratch), `work-${threadId}-${i}`);
  }

  /** Makes the file for a mutation and returns its path. */
  apply(m: Mutation): string {
    const seed = this.corpus[m.seed];
    if (m.size < seed.data.length) {
      // Truncated: written fresh (only the bytes before the cut).
      fs.writeFileSync(this.scratch, materialize(seed, m));
      return this.scratch;
    }
    const fd = this.fds[m.seed];
    if (m.size > seed.data.length) fs.ftruncateSync(fd, m.size);
    for (const p of m.patches) {
      const len = Math.min(p.bytes.length, m.size - p.offset);
      if (len > 0) fs.writeSync(fd, p.bytes, 0, len, p.offset);
    }
    return this.path(m.seed);
  }

  undo(m: Mutation): void {
    const seed = this.corpus[m.seed];
    if (m.size < seed.data.length) return;
    const fd = this.fds[m.seed];
    if (m.size > seed.data.length) fs.ftruncateSync(fd, seed.data.length);
    for (const p of m.patches) {
      const end = Math.min(p.offset + p.bytes.length, seed.data.length);
      if (end > p.offset) fs.writeSync(fd, seed.data, p.offset, end - p.offset, p.offset);
    }
  }

  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
  }
}

async function main(): Promise<void> {
  let parsed = 0, elfErrors = 0, slowestMs = 0, slowestIndex = -1;
  const elfErrorIndexes: number[] = [];
  const flush = (index?: number) => {
    port.postMessage({ type: 'stats', parsed, elfErrors, slowestMs, slowestIndex, index, elfErrorIndexes: elfErrorIndexes.splice(0) });
    parsed = elfErrors = 0;
  };
  if (job.mode === 'replay') {
    for (let i = job.from; i < job.to; i++) {
      Atomics.store(job.shared, 0, i);
      const r = await classify(job.files[i]);
      if (r === 'elf-error') elfErrorIndexes.push(i);
      else if (r instanceof Error) port.postMessage({ type: 'crash', index: i, message: r.stack ?? r.message, bytes: fs.readFileSync(job.files[i]) });
    }
    flush();
    Atomics.store(job.shared, 1, 1);
    return;
  }
  const corpus = loadCorpus(job.corpus);
  const bench = new Workbench(corpus, job.workDir);
  try {
    for (let i = job.from; i < job.to; i++) {
      Atomics.store(job.shared, 0, i);
      const m = mutate(corpus, caseRng(job.seed, i), job.ops);
      const file = bench.apply(m);
      const t = performance.now();
      const r = await classify(file);
      const dt = performance.now() - t;
      if (dt > slowestMs) {
        slowestMs = dt;
        slowestIndex = i;
      }
      bench.undo(m);
      if (r === 'parsed') parsed++;
      else if (r === 'elf-error') elfErrors++;
      else {
        port.postMessage({ type: 'crash', index: i, message: r.stack ?? r.message, bytes: materialize(corpus[m.seed], m), ops: m.ops, seed: corpus[m.seed].name });
      }
      if ((i + 1) % 256 === 0 && process.memoryUsage.rss() > RSS_LIMIT) {
        port.postMessage({ type: 'crash', index: i, message: `memory: resident set above ${RSS_LIMIT / 1024 ** 2} MiB after this case`, bytes: materialize(corpus[m.seed], m), ops: m.ops, seed: corpus[m.seed].name });
      }
      if ((i + 1) % 10000 === 0) flush(i + 1);
    }
  } finally {
    bench.close();
  }
  flush();
  Atomics.store(job.shared, 0, job.to);
  Atomics.store(job.shared, 1, 1);
}

main().catch((e) => {
  // A failure of the harness itself (not of a case): let the supervisor see the worker die.
  console.error(e);
  process.exit(2);
});
