// chrootRun without blocking the event loop: for tests whose chrooted command talks to a
// server that runs in the test process itself (spawnSync would starve it).
import { spawn } from 'node:child_process';
import type { ChrootResult } from './fixtures';

/** Same environment as chrootRun; the command is killed after `timeout` ms. */
export function chrootRunAsync(root: string, cmd: string, opts: { timeout?: number } = {}): Promise<ChrootResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('chroot', [root, '/bin/sh', '-c', cmd], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chroot command timed out after ${opts.timeout ?? 120_000} ms: ${cmd}`));
    }, opts.timeout ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
