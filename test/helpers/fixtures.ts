// Real root filesystems for tests (see test/fixtures/*.sh). Needs root: debootstrap, chroot and mknod.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

const cachedSource = new Map<string, string>();

/**
 * Path of a cached Debian bookworm rootfs: `merged` (merged /usr, with ffmpeg, python3, git,
 * curl, sox...) or `split` (real /bin, /lib, /lib64; curl only). The first build takes a
 * minute or two, later calls are instant.
 */
export function sourceRootfs(layout: 'merged' | 'split' = 'merged'): string {
  let root = cachedSource.get(layout);
  if (root === undefined) {
    // stderr is inherited so a cold build shows its progress; the path is the last stdout line.
    const out = execFileSync('bash', [path.join(FIXTURES, 'source-rootfs.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 30 * 60_000,
      env: { ...process.env, CC_ROOTFS_LAYOUT: layout },
    });
    root = out.trim().split('\n').pop()!;
    cachedSource.set(layout, root);
  }
  return root;
}

/** A fresh busybox+glibc target (about 3 MB) in a new temp dir; the caller removes it. */
export function makeTarget(layout: 'flat' | 'merged', source: string = sourceRootfs()): string {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), `cc-target-${layout}-`));
  execFileSync('bash', [path.join(FIXTURES, 'busybox-target.sh'), layout, dest, source], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 5 * 60_000,
  });
  return dest;
}

export interface ChrootResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` with the root's own /bin/sh. The env is fixed (no LANG) so results don't depend on the host. */
export function chrootRun(
  root: string,
  cmd: string,
  opts: { input?: string; timeout?: number } = {},
): ChrootResult {
  const r = spawnSync('chroot', [root, '/bin/sh', '-c', cmd], {
    encoding: 'utf8',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/root' },
    input: opts.input,
    timeout: opts.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error; // chroot missing or timed out: not a result a test should assert on
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
