// Test oracles: `ldd` (glibc's LD_TRACE_LOADED_OBJECTS) and readelf. Used only by tests;
// the product never executes rootfs code.
import { spawnSync } from 'node:child_process';

export interface LddResult { found: Map<string, string>; missing: string[]; interp?: string; ok: boolean }

/** Parses `ldd` output: "name => path (addr)", "name => not found", "/path (addr)". */
export function parseLdd(text: string): LddResult {
  const found = new Map<string, string>();
  const missing: string[] = [];
  let interp: string | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    let m = /^(\S+) => not found$/.exec(t);
    if (m) { missing.push(m[1]); continue; }
    m = /^(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
    if (m) { found.set(m[1], m[2]); continue; }
    m = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
    if (m) interp = m[1];
  }
  return { found, missing, interp, ok: found.size > 0 || interp !== undefined };
}

export function ldd(file: string, chrootDir?: string): LddResult {
  const r = chrootDir
    ? spawnSync('chroot', [chrootDir, '/usr/bin/ldd', file], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } })
    : spawnSync('ldd', [file], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  return parseLdd(r.stdout ?? '');
}
