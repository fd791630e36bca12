// `npm run compose` must work from a fresh checkout: build only when dist/ is missing or
// older than any source file, so repeated runs stay fast.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const out = 'dist/cli.js';
if (!existsSync('node_modules/esbuild')) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
}
if (!existsSync(out) || statSync(out).mtimeMs < Math.max(newest('src/engine'), newest('src/cli'))) {
  execFileSync(process.execPath, ['scripts/build.mjs', '--cli'], { stdio: ['ignore', 2, 2] });
}
