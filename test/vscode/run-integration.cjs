// Runs the mocha integration suite inside code-server's extension host. The workbench is
// opened in headless chromium with the extensionDevelopmentPath / extensionTestsPath
// payload; it reports the result through window.codeAutomationExit(code).
//   node run-integration.cjs <server-url> <extension-dir> <compiled-suite-index.js> <workspace>
'use strict';
const { launch, workbenchUrl, remoteUri, stopwatch } = require('./browser.cjs');

const [, , base, extDir, suiteIndex, folder] = process.argv;
const TIMEOUT_MS = Number(process.env.CC_INTEGRATION_TIMEOUT_MS || 180_000);
// Workbench chatter that says nothing about our tests.
const NOISE = /^getaddrinfo ENOTFOUND|^\[(AgentHost|ChatModelSelection|AccountPolicyGate|reconnection-grace-time|Service Worker)|^(Resolv|Creating a socket|Updating additional)/;

(async () => {
  const clock = stopwatch();
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const finish = async (code, why) => {
    if (why) console.error(why);
    console.log(`integration: exit ${code} after ${clock.ms()} ms`);
    await browser.close().catch(() => undefined);
    process.exit(code);
  };
  const timer = setTimeout(() => void finish(124, `TIMEOUT: no result from the extension host after ${TIMEOUT_MS} ms\n0 passed, 1 failed`), TIMEOUT_MS);
  page.on('pageerror', e => console.error('[pageerror]', e.message));
  if (process.env.VERBOSE) page.on('console', m => console.log('[browser]', m.type(), m.text()));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    if (!process.env.VERBOSE && NOISE.test(String(args[0]))) return;
    (console[type] || console.log)(...args);
  });
  await page.exposeFunction('codeAutomationExit', async code => {
    clearTimeout(timer);
    await finish(code);
  });
  const payload = [
    ['extensionDevelopmentPath', remoteUri(base, extDir)],
    ['extensionTestsPath', remoteUri(base, suiteIndex)],
    ['skipWelcome', 'true'],
  ];
  if (process.env.CC_EXT_ENV) payload.push(['extensionEnvironment', process.env.CC_EXT_ENV]);
  clock.step('open workbench');
  await page.goto(workbenchUrl(base, folder, payload));
})().catch(e => { console.error(e); console.log('0 passed, 1 failed'); process.exit(2); });
