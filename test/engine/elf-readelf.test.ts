// The ELF reader against binutils' readelf on every ELF file of the host's /usr/bin,
// /usr/sbin and /usr/lib. readelf is the oracle only: it is run in large batches (it
// prints a "File: NAME" header per file when given several), two at a time, so the
// whole sweep over a few thousand files stays at a few seconds.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readElf, type ElfInfo } from '../../src/engine/elf';
import { ElfError } from '../../src/engine/errors';

const ROOTS = ['/usr/bin', '/usr/sbin', '/usr/lib'];
const BATCH = 250;
const PARALLEL = 2;

interface Fields { interp?: string; needed: string[]; soname?: string; rpath?: string; runpath?: string }

/** Regular files only: symlinks (to files or directories) are neither followed nor read. */
async function walk(dir: string, out: string[]): Promise<void> {
  let ents;
  try {
    ents = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return; // an unreadable directory is not the reader's business
  }
  for (const e of ents) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

async function isElf(p: string): Promise<boolean> {
  let fh;
  try {
    fh = await fsp.open(p, 'r');
  } catch {
    return false;
  }
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.readUInt32BE(0) === 0x7f454c46;
  } finally {
    await fh.close();
  }
}

/** Runs `fn` over `items` with at most `n` in flight; results keep the input order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

interface ReadelfRun { stdout: string; stderr: string; failed: boolean }

function readelf(files: string[]): Promise<ReadelfRun> {
  return new Promise((resolve) => {
    execFile('readelf', ['-d', '-l', '-W', ...files], { env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' }, maxBuffer: 1 << 30 },
      (err, stdout, stderr) => resolve({ stdout, stderr, failed: err !== null }));
  });
}

/** The fields of one file's readelf report (the text between two "File:" headers). */
function parseReport(text: string): Fields {
  const f: Fields = { needed: [] };
  for (const line of text.split('\n')) {
    let m = /\[Requesting program interpreter: (.*)\]$/.exec(line);
    if (m) { f.interp = m[1]; continue; }
    m = /\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+(?:Shared library|Library soname|Library rpath|Library runpath): \[(.*)\]$/.exec(line);
    if (!m) continue;
    if (m[1] === 'NEEDED') f.needed.push(m[2]);
    else if (m[1] === 'SONAME') f.soname = m[2];
    else if (m[1] === 'RPATH') f.rpath = m[2];
    else f.runpath = m[2];
  }
  return f;
}

/** Splits a multi-file run at its "File: NAME" headers. */
function splitReports(stdout: string, files: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (files.length === 1) {
    out.set(files[0], stdout); // readelf prints no header for a single file
    return out;
  }
  const wanted = new Set(files);
  let cur: string | undefined;
  let buf: string[] = [];
  const flush = () => { if (cur !== undefined) out.set(cur, buf.join('\n')); };
  for (const line of stdout.split('\n')) {
    const m = /^File: (.*)$/.exec(line);
    if (m && wanted.has(m[1])) {
      flush();
      cur = m[1];
      buf = [];
    } else buf.push(line);
  }
  flush();
  return out;
}

/** The compared fields, with absent ones left out so both sides have the same shape. */
function ours(e: ElfInfo): Fields {
  const f: Fields = { needed: e.needed };
  if (e.interp !== undefined) f.interp = e.interp;
  if (e.soname !== undefined) f.soname = e.soname;
  if (e.rpath !== undefined) f.rpath = e.rpath;
  if (e.runpath !== undefined) f.runpath = e.runpath;
  return f;
}

/** readelf's own complaints about one file, from running it alone (batched stderr names no file). */
interface Complaint { file: string; stderr: string; fatal: boolean }

describe('ELF reader vs readelf -d -l on the host', function () {
  this.timeout(300_000);

  it('agrees on interpreter, NEEDED, SONAME, RPATH and RUNPATH for every ELF file', async function () {
    const t0 = Date.now();
    const all: string[] = [];
    for (const r of ROOTS) await walk(r, all);
    const flags = await pool(all, 16, isElf);
    const elves = all.filter((_, i) => flags[i]);
    const tWalk = Date.now() - t0;

    const batches: string[][] = [];
    for (let i = 0; i < elves.length; i += BATCH) batches.push(elves.slice(i, i + BATCH));
    const reports = new Map<string, string>();
    const complaints: Complaint[] = [];
    await pool(batches, PARALLEL, async (batch) => {
      const run = await readelf(batch);
      for (const [k, v] of splitReports(run.stdout, batch)) reports.set(k, v);
      if (!run.failed && run.stderr === '') return;
      // Something in this batch upset readelf: find out which file, one at a time.
      await pool(batch, 1, async (f) => {
        const one = await readelf([f]);
        // An "Error:" means readelf could not read all of the file (a "Warning:" does not).
        if (one.stderr !== '' || one.failed) complaints.push({ file: f, stderr: one.stderr.trim(), fatal: one.failed || /Error:/.test(one.stderr) });
      });
    });
    const tReadelf = Date.now() - t0 - tWalk;

    const mismatches: string[] = [];
    const rejected: string[] = [];
    let compared = 0;
    let withNeeded = 0;
    await pool(elves, 8, async (f) => {
      const c = complaints.find((x) => x.file === f);
      let info: ElfInfo;
      try {
        info = await readElf(f);
      } catch (e) {
        if (!(e instanceof ElfError)) throw e;
        // A typed rejection is right only where readelf could not read the file either.
        if (c?.fatal) { rejected.push(`${f}: ${c.stderr.replace(/\n/g, ' / ')} | ours: ${e.message}`); return; }
        mismatches.push(`${f}: our reader rejects it (${e.message}) but readelf reads it${c ? ` (with: ${c.stderr})` : ''}`);
        return;
      }
      const report = reports.get(f);
      if (report === undefined) { mismatches.push(`${f}: no readelf report found`); return; }
      const want = parseReport(report);
      if (want.needed.length > 0) withNeeded++;
      try {
        assert.deepEqual(ours(info), want);
        compared++;
      } catch {
        mismatches.push(`${f}: ours ${JSON.stringify(ours(info))} vs readelf ${JSON.stringify(want)}${c ? ` (readelf said: ${c.stderr})` : ''}`);
      }
    });
    const tTotal = Date.now() - t0;
    this.test!.title += ` (${elves.length} ELF files of ${all.length} regular files; ${compared} identical, ${rejected.length} rejected by both)`;
    console.log(`      walk+sniff ${tWalk} ms, readelf ${tReadelf} ms, total ${tTotal} ms`);
    for (const r of rejected) console.log(`      rejected by both: ${r}`);
    // Files readelf complained about but our reader read: they were compared like the rest.
    for (const c of complaints) if (!rejected.some((r) => r.startsWith(c.file + ':'))) console.log(`      readelf complained, fields still compared: ${c.file}: ${c.stderr.split('\n')[0]}`);
    // The sweep must really have covered the host, or agreement means nothing.
    assert.ok(elves.length > 100, `only ${elves.length} ELF files found under ${ROOTS.join(', ')}`);
    // ...and the readelf parser must really have read NEEDED lines, or agreement is vacuous.
    assert.ok(withNeeded > elves.length / 4, `readelf output parsed to NEEDED entries for only ${withNeeded} files`);
    if (mismatches.length > 0) assert.fail(`${mismatches.length} of ${elves.length} files differ:\n${mismatches.slice(0, 40).join('\n')}`);
  });

  // No host file is damaged enough for readelf to give up on it, so the rejection path is
  // exercised on copies of a real program cut short at telling places.
  it('rejects what readelf cannot read: cut-short copies of a host program and a non-ELF file', async function () {
    const src = '/usr/bin/ls';
    const whole = await fsp.readFile(src);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cc-elf-cut-'));
    try {
      const cases: [string, Buffer][] = [
        ['inside the ELF identification', whole.subarray(0, 10)],
        ['inside the ELF header', whole.subarray(0, 40)],
        ['inside the program header table', whole.subarray(0, 500)],
        ['before the dynamic section', whole.subarray(0, 4096)],
        ['not ELF at all', Buffer.from('#!/bin/sh\necho this script is long enough to hold an ELF header, but it is not one\n')],
      ];
      for (const [what, bytes] of cases) {
        const f = path.join(dir, what.replace(/\W+/g, '-'));
        await fsp.writeFile(f, bytes);
        const re = await readelf([f]);
        assert.match(re.stderr, /Error:/, `readelf accepted the file (${what})`);
        await assert.rejects(readElf(f), (e: unknown) => e instanceof ElfError && e.message.startsWith(`${f}: `), `our reader did not reject the file (${what}) with an ElfError naming it`);
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
