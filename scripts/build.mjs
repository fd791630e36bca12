// Bundles the three entry points with esbuild. The engine is shared by the CLI and the
// extension; `vscode` stays external because the extension host provides it.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

import { readFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
// `--cli` builds only the command line, so `npm run compose` needs nothing else.
const cliOnly = process.argv.includes('--cli');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// Source maps only in watch (development) builds: the .vsix ships no .map files.
const common = { bundle: true, sourcemap: watch, logLevel: 'warning', minify: !watch, define: { PACKAGE_VERSION: JSON.stringify(pkg.version) } };

const builds = [
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', target: 'node20', format: 'cjs' },
  { ...common, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'] },
  { ...common, entryPoints: ['media/preview/main.ts'], outfile: 'dist/media/preview.js', platform: 'browser', target: 'es2022', format: 'esm' },
];

for (const b of cliOnly ? builds.slice(0, 1) : builds) {
  if (watch) await (await esbuild.context(b)).watch();
  else await esbuild.build(b);
}

if (cliOnly) process.exit(0);

// Webview assets next to the webview script: its stylesheet and the codicon font.
const assets = [
  ['media/preview/preview.css', 'dist/media/preview.css'],
  ['node_modules/@vscode/codicons/dist/codicon.css', 'dist/media/codicons/codicon.css'],
  ['node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/media/codicons/codicon.ttf'],
];
mkdirSync('dist/media/codicons', { recursive: true });
for (const [from, to] of assets) cpSync(from, to);
