// Closure agreement on real input: for every dynamic ELF program in the host's /usr/bin,
// with the host's / as the rootfs, the engine's library files are the files ldd loads
// (canonicalised), and what it leaves unresolved is ldd's "not found" list. ldd runs the
// host's own loader in trace mode; it is the oracle here and nowhere in the product.
import * as assert from 'node:assert/strict';
import { promises as fsp, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { buildPlan } from '../../src/engine';
import { readElf, sniff } from '../../src/engine/elf';
import { lddAsync } from '../helpers/ldd';

const BIN = '/usr/bin';

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Regular files (not symlinks: those name the same programs again) that are ELF with PT_INTERP. */
async function dynamicPrograms(): Promise<{ programs: string[]; unreadable: string[] }> {
  const programs: string[] = [];
  const unreadable: string[] = [];
  for (const e of await fsp.readdir(BIN, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    const f = path.join(BIN, e.name);
    try {
      if ((await sniff(f)).kind !== 'elf') continue;
    } catch {
      continue;
    }
    try {
      if ((await readElf(f)).interp !== undefined) programs.push(f);
    } catch (err) {
      unreadable.push(`${f}: ${(err as Error).message}`); // the readelf test covers these; listed, not hidden
    }
  }
  return { programs: programs.sort(), unreadable };
}

const sorted = (s: Iterable<string>) => [...new Set(s)].sort();

describe('closure agreement with ldd on the host /usr/bin', function () {
  this.timeout(600_000);

  it('resolves the same library files and the same missing sonames as ldd, for every dynamic program', async function () {
    const t0 = Date.now();
    const { programs, unreadable } = await dynamicPrograms();
    const differ: string[] = [];
    const lddFailed: string[] = [];
    let withMissing = 0;
    await pool(programs, 2, async (f) => {
      const oracle = await lddAsync(f);
      if (!oracle.ok) {
        lddFailed.push(`${f}: ldd exit ${oracle.status}: ${oracle.stderr.trim() || '(no output)'}`);
        return;
      }
      const self = realpathSync(f);
      const want = sorted([...oracle.found.values(), ...oracle.paths].map((p) => realpathSync(p)));
      const plan = await buildPlan({ root: '/', exes: [f], autodeps: 'none' });
      // Files and hardlinks are the loaded objects; the program itself is not a library.
      const got = sorted(plan.entries.filter((e) => (e.type === 'file' || e.type === 'hardlink') && e.path !== self).map((e) => e.path));
      const wantMissing = sorted(oracle.missing);
      const gotMissing = sorted(plan.unresolved.map((u) => u.soname));
      if (wantMissing.length > 0) withMissing++;
      try {
        assert.deepEqual({ files: got, missing: gotMissing }, { files: want, missing: wantMissing });
      } catch {
        const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
        differ.push(`${f}: ldd only ${JSON.stringify(only(want, got))}, ours only ${JSON.stringify(only(got, want))}, ` +
          `missing per ldd only ${JSON.stringify(only(wantMissing, gotMissing))}, missing per us only ${JSON.stringify(only(gotMissing, wantMissing))}`);
      }
    });
    const checked = programs.length - lddFailed.length;
    this.test!.title += ` (${checked} programs checked, ${withMissing} with missing libraries)`;
    console.log(`      ${programs.length} dynamic programs, ${checked} compared in ${Date.now() - t0} ms`);
    for (const u of unreadable) console.log(`      not an ELF our reader accepts: ${u}`);
    for (const l of lddFailed) console.log(`      ldd could not list: ${l}`);
    assert.ok(checked > 50, `only ${checked} programs compared`);
    // A program ldd cannot trace is a hole in the oracle, not agreement: it must be explained.
    assert.deepEqual(lddFailed, [], 'ldd failed on some programs');
    if (differ.length > 0) assert.fail(`${differ.length} of ${checked} programs differ:\n${differ.slice(0, 30).join('\n')}`);
  });
});
