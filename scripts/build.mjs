// Bundles the three entry points with esbuild. The engine is shared by the CLI and the
// extension; `vscode` stays external because the extension host provides it.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const common = { bundle: true, sourcemap: true, logLevel: 'warning', minify: !watch, define: { PACKAGE_VERSION: JSON.stringify(pkg.version) } };

const builds = [
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', target: 'node20', format: 'cjs' },
  { ...common, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'] },
  { ...common, entryPoints: ['media/preview/main.ts'], outfile: 'dist/media/preview.js', platform: 'browser', target: 'es2022', format: 'esm' },
];

for (const b of builds) {
  if (watch) await (await esbuild.context(b)).watch();
  else await esbuild.build(b);
}
