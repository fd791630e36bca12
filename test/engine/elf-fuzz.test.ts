// The fuzz subset CI runs: every saved crasher replayed, then 10k mutation cases (about
// 10 s on the 2-core CI machine). `npm run fuzz -- --cases N` runs more. The seed is fixed
// so a CI failure reproduces; FUZZ_SEED and FUZZ_CASES override it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readElf } from '../../src/engine/elf';
import { ElfError } from '../../src/engine/errors';
import { buildElf } from '../helpers/elfBuilder';
import { CRASH_DIR, replayCrashers, runFuzz } from '../helpers/elfFuzz';
import { caseRng, materialize, mutate, parseLayout, type Seed } from '../fuzz/mutators';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const CASES = Number(process.env.FUZZ_CASES ?? 10000);

describe('ELF reader under fuzzing', function () {
  this.timeout(300_000);

  it('replays every saved crasher as a parsed result or an ElfError', async () => {
    const results = await replayCrashers(CRASH_DIR);
    assert.ok(results.length > 0, `no fixtures in ${CRASH_DIR}`);
    const bad = results.filter((r) => r.outcome !== 'parsed' && r.outcome !== 'elf-error');
    assert.deepEqual(bad, []);
  });

  it(`survives ${CASES} mutation cases (seed ${SEED})`, async () => {
    const lines: string[] = [];
    const r = await runFuzz({ cases: CASES, seed: SEED, log: (l) => lines.push(l) });
    console.log(`      fuzz: ${r.cases} cases, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s; ${r.parsed} parsed, `
      + `${r.elfErrors} ElfError; slowest case ${r.slowestMs.toFixed(1)} ms`);
    assert.deepEqual(r.crashes.map((c) => `case ${c.index} ${c.kind}: ${c.message.split('\n')[0]} (saved ${c.saved})`), []);
    // A corpus that only produced errors would test nothing.
    assert.ok(r.parsed > CASES / 10 && r.elfErrors > CASES / 10, `too one-sided: ${r.parsed} parsed, ${r.elfErrors} errors`);
  });
});

describe('fuzzer mutations', () => {
  const seeds: Seed[] = [buildElf({ interp: '/lib64/ld.so', needed: ['libc.so.6'], soname: 'x' }), buildElf({ class: 32, endian: 'be', needed: ['a'] })]
    .map((data, i) => ({ name: `s${i}`, data, layout: parseLayout(data)! }));

  it('are reproducible from seed and case index', () => {
    for (let i = 0; i < 200; i++) {
      const a = mutate(seeds, caseRng(7, i)), b = mutate(seeds, caseRng(7, i));
      assert.deepEqual(materialize(seeds[a.seed], a), materialize(seeds[b.seed], b));
      assert.deepEqual(a.ops, b.ops);
    }
  });

  it('mostly change the file', () => {
    let changed = 0;
    for (let i = 0; i < 500; i++) {
      const m = mutate(seeds, caseRng(11, i));
      if (!materialize(seeds[m.seed], m).equals(seeds[m.seed].data)) changed++;
    }
    assert.ok(changed > 400, `${changed} of 500 changed`);
  });
});

describe('ELF reader bounds', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-elf-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const expectElfError = async (file: string, re: RegExp) => {
    await assert.rejects(readElf(file, 'shown'), (e: unknown) => e instanceof ElfError && re.test((e as Error).message) && (e as Error).message.startsWith('shown: '));
  };

  it('refuses FIFOs, devices and directories without opening them', async () => {
    const fifo = path.join(dir, 'fifo');
    fs.rmSync(fifo, { force: true });
    require('node:child_process').execFileSync('mkfifo', [fifo]);
    await expectElfError(fifo, /special file/);
    await expectElfError('/dev/null', /special file/);
    await expectElfError(dir, /is a directory/);
  });

  it('names empty, short and non-ELF files', async () => {
    const f = (name: string, data: Buffer | string) => { const p = path.join(dir, name); fs.writeFileSync(p, data); return p; };
    await expectElfError(f('empty', ''), /empty file/);
    await expectElfError(f('short', '\x7fELF'), /too short/);
    await expectElfError(f('script', '#!/bin/sh\necho hello world, this is long enough\n'), /not an ELF file/);
  });

  it('caps DT_NEEDED counts and name lengths', async () => {
    // 5000 DT_NEEDED entries: more than any real object.
    const many = buildElf({ needed: Array.from({ length: 5000 }, (_, i) => `lib${i}.so`) });
    const p = path.join(dir, 'many');
    fs.writeFileSync(p, many);
    await expectElfError(p, /implausible number of DT_NEEDED/);
    const long = buildElf({ needed: ['x'.repeat(5000)] });
    fs.writeFileSync(p, long);
    await expectElfError(p, /longer than 4096 bytes/);
    // A long RUNPATH is fine.
    fs.writeFileSync(p, buildElf({ runpath: Array.from({ length: 600 }, (_, i) => `/opt/dir${i}`).join(':') }));
    assert.equal((await readElf(p)).runpath!.split(':').length, 600);
  });
});
