// Compiles the integration suite (test/vscode/suite/*.ts) for the extension host into
// out/vscode-test/. `vscode` comes from the host; mocha is loaded from node_modules.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';

const outdir = 'out/vscode-test';
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: readdirSync('test/vscode/suite').filter(f => f.endsWith('.ts') && f !== 'helpers.ts').map(f => `test/vscode/suite/${f}`),
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
