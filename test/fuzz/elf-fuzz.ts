// `npm run fuzz -- --cases N [--seed S] [--timeout MS]`: mutation fuzzing of the engine's
// ELF reader over real ELF files from this host (plus synthetic 32-bit and big-endian
// ones). Every case must give a parsed result or an ElfError, within the time bound.
// Crashing inputs are saved in test/fixtures/elf-crashers/ and replayed by the mocha
// suite. The run is reproducible from its seed (the corpus is this host's files).
import { parseArgs } from 'node:util';
import { CRASH_DIR, DEFAULT_TIMEOUT_MS, replayCrashers, runFuzz } from '../helpers/elfFuzz';
import { OPERATIONS } from './mutators';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '10000' },
      seed: { type: 'string' },
      timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_MS) },
      ops: { type: 'string' },
      'no-replay': { type: 'boolean', default: false },
    },
  });
  const cases = Number(values.cases);
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 0x100000000);
  const timeoutMs = Number(values.timeout);
  const ops = values.ops?.split(',').filter(Boolean);
  const unknown = ops?.filter((o) => !OPERATIONS.includes(o)) ?? [];
  if (unknown.length) {
    process.stderr.write(`unknown operation(s) ${unknown.join(', ')}; known: ${OPERATIONS.join(', ')}\n`);
    return 2;
  }
  if (!Number.isSafeInteger(cases) || cases < 0 || !Number.isSafeInteger(seed) || seed < 0 || !(timeoutMs > 0)) {
    process.stderr.write('usage: elf-fuzz [--cases N] [--seed S] [--timeout MS] [--ops a,b] [--no-replay]\n');
    return 2;
  }
  let passed = 0, failed = 0;
  if (!values['no-replay']) {
    const replay = await replayCrashers(CRASH_DIR, { timeoutMs });
    for (const r of replay) {
      if (r.outcome === 'parsed' || r.outcome === 'elf-error') passed++;
      else {
        failed++;
        process.stdout.write(`FAIL regression fixture ${r.file}: ${r.outcome}: ${r.message}\n`);
      }
    }
    process.stdout.write(`replayed ${replay.length} regression fixture(s) from ${CRASH_DIR}\n`);
  }
  process.stdout.write(`fuzzing readElf: ${cases} cases, seed ${seed} (reproduce with --seed ${seed}), per-case bound ${timeoutMs} ms${ops ? `, operations ${ops.join(',')}` : ''}\n`);
  const r = await runFuzz({ cases, seed, timeoutMs, ops, log: (l) => process.stdout.write(l + '\n') });
  process.stdout.write(`corpus: ${r.corpus.map((c) => `${c.name} (${c.size} B)`).join(', ')}\n`);
  process.stdout.write(
    `fuzz: ${r.cases} cases, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s; ${r.parsed} parsed, ${r.elfErrors} ElfError, ` +
    `${r.crashes.length} crash(es); slowest case ${r.slowestMs.toFixed(1)} ms (#${r.slowestIndex})\n`,
  );
  failed += r.crashes.length;
  passed += r.cases - r.crashes.length;
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`elf-fuzz: ${e instanceof Error ? e.stack : e}\n`);
  process.exitCode = 2;
});
