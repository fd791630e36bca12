// Runs the built CLI (dist/cli.js) as a user would, for end-to-end tests.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.resolve(__dirname, '../../bin/container-compositor.js');

export function runCli(args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', timeout: opts.timeout ?? 300_000, maxBuffer: 256 * 1024 * 1024, env: opts.env ?? process.env,
  });
}
