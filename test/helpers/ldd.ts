// Test oracles: `ldd` (glibc's LD_TRACE_LOADED_OBJECTS) and readelf. Used only by tests;
// the product never executes rootfs code.
import { execFile, spawnSync } from 'node:child_process';

export interface LddResult {
  found: Map<string, string>;
  missing: string[];
  /** The last bare "/path (addr)" line: the interpreter, unless a NEEDED with a slash came after it. */
  interp?: string;
  /** Every bare "/path (addr)" line: the interpreter and any NEEDED entries given as paths. */
  paths: string[];
  ok: boolean;
}

/** Parses `ldd` output: "name => path (addr)", "name => not found", "/path (addr)". */
export function parseLdd(text: string): LddResult {
  const found = new Map<string, string>();
  const missing: string[] = [];
  const paths: string[] = [];
  let interp: string | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    let m = /^(\S+) => not found$/.exec(t);
    if (m) { missing.push(m[1]); continue; }
    m = /^(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
    if (m) { found.set(m[1], m[2]); continue; }
    m = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
    if (m) { interp = m[1]; paths.push(m[1]); }
  }
  return { found, missing, interp, paths, ok: found.size > 0 || interp !== undefined };
}

const ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

export function ldd(file: string, chrootDir?: string): LddResult {
  const r = chrootDir
    ? spawnSync('/usr/sbin/chroot', [chrootDir, '/usr/bin/ldd', file], { encoding: 'utf8', env: ENV })
    : spawnSync('ldd', [file], { encoding: 'utf8', env: ENV });
  return parseLdd(r.stdout ?? '');
}

/** Host `ldd`, asynchronously, so a sweep over many programs can run a few at a time. */
export function lddAsync(file: string): Promise<LddResult & { status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ldd', [file], { encoding: 'utf8', env: ENV, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ ...parseLdd(stdout), status, stderr });
    });
  });
}
