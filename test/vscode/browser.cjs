// Shared Playwright helpers: headless Debian chromium against the code-server workbench.
// playwright-core is found through NODE_PATH (the tool cache), not the project's deps.
'use strict';
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** URL of the workbench for `folder`, with the given payload entries. */
function workbenchUrl(base, folder, payload) {
  return `${base}/?folder=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** vscode-remote URI of a path on the server. */
function remoteUri(base, p) {
  return `vscode-remote://${new URL(base).host}${path.resolve(p)}`;
}

function stopwatch() {
  const t0 = Date.now();
  return {
    ms: () => Date.now() - t0,
    step: msg => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`),
  };
}

module.exports = { launch, workbenchUrl, remoteUri, stopwatch };
