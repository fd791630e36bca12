// UI end-to-end test: real clicks in the code-server workbench (headless chromium).
//   node ui-test.cjs <server-url> <extension-dir> <workspace> <screenshot-dir>
// Right-click busybox in the Explorer -> Preview Dependencies; the webview lists libc.so.6;
// Compose Archive; the archive appears on disk. Screenshots of the Root Filesystems view and
// the webview in a dark and a light theme go to <screenshot-dir>.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const tar = require('tar');
const { launch, workbenchUrl, remoteUri, stopwatch } = require('./browser.cjs');

const [, , base, extDir, folder, shotDir] = process.argv;
const rootfs = path.join(folder, 'rootfs');
const archive = path.join(rootfs, 'tmp', 'busybox.tar.gz');

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✔ ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✘ ${name}: ${e && e.message ? e.message.split('\n')[0] : e}`);
    throw e;
  }
}

// Focus may sit inside the webview's iframe, which forwards keys to the workbench late or
// not at all under load: focus the workbench itself, press the key, and retry until the
// quick input shows.
async function openQuickInput(page, key) {
  const input = page.locator('.quick-input-widget input');
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Escape').catch(() => {});
    // The middle of the status bar is empty: a click there only moves focus to the workbench.
    const bar = await page.locator('.part.statusbar').boundingBox().catch(() => null);
    if (bar) await page.mouse.click(bar.x + bar.width / 2, bar.y + bar.height / 2);
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      return input;
    } catch { /* try again */ }
  }
  throw new Error(`the quick input did not open with ${key}`);
}

async function waitForFile(p, ms) {
  const t0 = Date.now();
  while (!fs.existsSync(p)) {
    if (Date.now() - t0 > ms) throw new Error(`${p} did not appear within ${ms} ms`);
    await new Promise(r => setTimeout(r, 200));
  }
}

(async () => {
  const clock = stopwatch();
  fs.mkdirSync(shotDir, { recursive: true });
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(30_000);
  const webviewErrors = [];
  page.on('console', m => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) webviewErrors.push(m.text());
    if (process.env.VERBOSE) console.log('[browser]', m.type(), m.text());
  });
  const explorer = page.locator('.explorer-folders-view');
  const rfsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Root Filesystems' }) });
  const webview = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const explorerRow = (name, level) => explorer.locator(`.monaco-list-row[aria-level="${level}"]`).filter({ has: page.getByText(name, { exact: true }) });
  const menuItem = name => page.locator('.monaco-menu .action-item:not(.disabled) .action-label', { hasText: name });

  async function drag(x1, y1, x2, y2) {
    await page.mouse.move(x1, y1);
    await page.mouse.down();
    await page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, { steps: 5 });
    await page.mouse.move(x2, y2, { steps: 5 });
    await page.mouse.up();
  }

  /** Clicks a context-menu entry; the menu ignores a click that comes right after it opened. */
  async function chooseMenuItem(name) {
    const item = menuItem(name);
    await item.waitFor();
    await page.waitForTimeout(300);
    for (let i = 0; i < 3 && (await item.count()) > 0; i++) {
      await item.click().catch(() => undefined);
      await page.waitForTimeout(400);
    }
    if ((await item.count()) > 0 && (await item.isVisible())) throw new Error(`menu entry ${name} did not respond`);
  }

  /** Scrolls a (virtualised) list until the row is rendered, then returns it. */
  async function reveal(list, row) {
    for (let i = 0; i < 40; i++) {
      if ((await row.count()) > 0 && (await row.first().isVisible())) return row.first();
      await list.hover();
      await page.mouse.wheel(0, 120);
      await page.waitForTimeout(100);
    }
    throw new Error('row never scrolled into view');
  }

  async function shots(theme) {
    await page.mouse.move(1100, 18); // empty tab bar: no hover tooltips in the pictures
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotDir, `workbench-${theme}.png`) });
    await rfsPane.screenshot({ path: path.join(shotDir, `tree-${theme}.png`) });
    await page.locator('iframe.webview.ready').screenshot({ path: path.join(shotDir, `preview-${theme}.png`) });
    clock.step(`screenshots (${theme}) in ${shotDir}`);
  }

  try {
    const payload = [['extensionDevelopmentPath', remoteUri(base, extDir)], ['skipWelcome', 'true']];
    await page.goto(workbenchUrl(base, folder, payload));

    await check('workbench opens with the Explorer and the Root Filesystems view', async () => {
      await page.locator('.monaco-workbench').waitFor();
      await explorer.waitFor();
      const header = page.locator('.pane-header', { hasText: 'Root Filesystems' });
      await header.waitFor();
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      await rfsPane.locator('.monaco-list-row', { hasText: 'Fixture Linux 1 (busybox)' }).waitFor();
      // Make room: a wider side bar, and the Explorer's folder pane and ours sharing it.
      const sidebar = await page.locator('.part.sidebar').boundingBox();
      await drag(sidebar.x + sidebar.width + 1, sidebar.y + 300, sidebar.x + 470, sidebar.y + 300);
      const outline = await page.locator('.pane-header', { hasText: 'Outline' }).boundingBox();
      await drag(outline.x + 100, outline.y - 1, outline.x + 100, sidebar.y + 420);
    });

    await check('the tree view lists busybox as an ELF executable', async () => {
      const row = name => rfsPane.locator('.monaco-list-row').filter({ has: page.getByText(name, { exact: true }) });
      await row('rootfs').click();
      await row('usr').click();
      await rfsPane.locator('.monaco-list-row[aria-level="3"]').filter({ has: page.getByText('bin', { exact: true }) }).click();
      const bb = row('busybox');
      await bb.waitFor();
      await bb.locator('.label-description', { hasText: /ELF 64-bit x86-64/ }).waitFor();
      await (await reveal(rfsPane, row('sh'))).locator('.label-description', { hasText: '→ busybox' }).waitFor();
      await bb.click();
    });

    await check('the Explorer menu has no Preview Dependencies outside a rootfs', async () => {
      await explorerRow('notes', 1).click();
      await explorerRow('README.txt', 2).click({ button: 'right' });
      await page.locator('.monaco-menu').waitFor();
      await menuItem('Copy Path').first().waitFor();
      assert.equal(await menuItem('Preview Dependencies').count(), 0);
      await page.keyboard.press('Escape');
      await explorerRow('notes', 1).click();
    });

    await check('right-click busybox in the Explorer -> Preview Dependencies', async () => {
      await explorerRow('rootfs', 1).click();
      await explorerRow('usr', 2).click();
      await explorerRow('bin', 3).click();
      await (await reveal(explorer, explorerRow('busybox', 4))).click({ button: 'right' });
      await menuItem('Compose Archive…').waitFor();
      await chooseMenuItem('Preview Dependencies');
    });

    await check('the webview lists libc.so.6 and the interpreter', async () => {
      await webview.locator('vscode-tree-item[data-name="libc.so.6"]').first().waitFor();
      await webview.locator('vscode-tree-item[data-name="/lib64/ld-linux-x86-64.so.2"]').waitFor();
      await webview.locator('vscode-tree-item[data-name="libresolv.so.2"]').first().waitFor();
      assert.equal(await webview.locator('h1').textContent(), '/usr/bin/busybox');
      assert.equal(await webview.locator('.unresolved-list').count(), 0);
    });

    await shots('dark');

    await check('Compose Archive in the webview writes the archive', async () => {
      assert.equal(fs.existsSync(archive), false, 'no archive before');
      await webview.locator('vscode-button#compose').click();
      await waitForFile(archive, 30_000);
      await webview.locator('.notice.done', { hasText: 'busybox.tar.gz' }).waitFor();
      const members = [];
      await tar.t({ file: archive, onReadEntry: e => members.push(e.path) });
      for (const m of ['usr/bin/busybox', 'usr/lib/x86_64-linux-gnu/libc.so.6', 'usr/lib/x86_64-linux-gnu/libresolv.so.2']) {
        assert.ok(members.includes(m), `${m} in the archive (${members.join(', ')})`);
      }
    });

    await check('the notification offers Reveal in Explorer, which selects the archive', async () => {
      // Toasts hide themselves after a while: read the notification centre instead.
      await page.locator('.statusbar-item', { has: page.locator('.codicon-bell, .codicon-bell-dot') }).first().click();
      const note = page.locator('.notifications-center .notification-list-item', { hasText: 'busybox.tar.gz' }).filter({ visible: true }).first();
      await note.waitFor();
      await note.locator('.monaco-button', { hasText: 'Reveal in Explorer' }).click();
      await explorer.locator('.monaco-list-row.selected', { hasText: 'busybox.tar.gz' }).waitFor();
      await page.keyboard.press('Escape');
      if (await page.locator('.notifications-center.visible').count()) {
        await page.locator('.statusbar-item', { has: page.locator('.codicon-bell, .codicon-bell-dot') }).first().click();
      }
      await page.locator('.tab', { hasText: 'Dependencies: busybox' }).click();
    });

    await check('the webview keeps working in a light theme', async () => {
      await (await openQuickInput(page, 'F1')).fill('>Preferences: Color Theme');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Preferences: Color Theme' }).first().click();
      await page.locator('.quick-input-widget input').fill('Light Modern');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Light Modern' }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.monaco-workbench.vs:not(.vs-dark)').waitFor();
      await page.waitForTimeout(800); // theme variables reach the webview
      await webview.locator('vscode-tree-item[data-name="libc.so.6"]').first().waitFor();
    });

    await shots('light');

    await check('the Files tab lists the archive members', async () => {
      await webview.locator('vscode-tab-header[data-tab="files"]').click();
      await webview.locator('vscode-table-row[data-path="/usr/lib/x86_64-linux-gnu/libc.so.6"]').waitFor();
      await page.waitForTimeout(300);
      await page.locator('iframe.webview.ready').screenshot({ path: path.join(shotDir, 'preview-files-light.png') });
      // Packages: a table once the engine read the package database, else a note.
      await webview.locator('vscode-tab-header[data-tab="packages"]').click();
      await webview.locator('vscode-tab-panel vscode-table[aria-label="Packages"], vscode-tab-panel p.empty').filter({ visible: true }).first().waitFor();
      await page.locator('iframe.webview.ready').screenshot({ path: path.join(shotDir, 'preview-packages-light.png') });
      await webview.locator('vscode-tab-header[data-tab="files"]').click();
    });

    await check('the panel comes back on the same tab after being hidden', async () => {
      const libcRow = webview.locator('vscode-table-row[data-path="/usr/lib/x86_64-linux-gnu/libc.so.6"]');
      await (await openQuickInput(page, 'Control+P')).fill('README.txt');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'README.txt' }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.tab.active', { hasText: 'README.txt' }).waitFor();
      await page.locator('.tab', { hasText: 'Dependencies: busybox' }).click();
      await libcRow.waitFor({ state: 'visible' });
      await webview.locator('.notice.done', { hasText: 'busybox.tar.gz' }).waitFor();
    });

    await check('Preview Dependencies from the palette offers the programs in PATH', async () => {
      const input = await openQuickInput(page, 'F1');
      await input.fill('>Container Compositor: Preview Dependencies');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Container Compositor: Preview Dependencies' }).first().click();
      const rows = page.locator('.quick-input-list .monaco-list-row');
      await rows.filter({ hasText: '/usr/bin/busybox' }).first().waitFor();
      await rows.filter({ hasText: '/usr/bin/sh' }).first().waitFor();
      const described = text => rows.filter({ has: page.locator('.label-description', { hasText: new RegExp(`^${text}$`) }) });
      assert.equal(await described('/usr/bin/busybox').count(), 1);
      assert.equal(await described('/bin/busybox').count(), 0, 'bin -> usr/bin is listed once');
      assert.equal(await rows.filter({ hasText: 'hello.sh' }).count(), 0, 'scripts are not ELF programs');
      const { program, missing } = JSON.parse(fs.readFileSync(path.join(folder, 'notes', 'missing.json'), 'utf8'));
      await rows.filter({ hasText: program }).first().waitFor();
      await input.fill(path.basename(program));
      await rows.filter({ hasText: program }).first().click();
      await page.locator('.tab.active', { hasText: `Dependencies: ${path.basename(program)}` }).waitFor();
      await webview.locator('h1', { hasText: program }).waitFor();
      await webview.locator('.unresolved-list', { hasText: missing[0] }).waitFor();
      await webview.locator(`vscode-tree-item.unresolved[data-name="${missing[0]}"]`).waitFor();
      await page.mouse.move(1100, 18);
      await page.locator('iframe.webview.ready').screenshot({ path: path.join(shotDir, 'preview-unresolved-light.png') });
    });

    await check('the webview raised no CSP violations', async () => {
      assert.deepEqual(webviewErrors, []);
    });
  } catch (e) {
    await page.screenshot({ path: path.join(shotDir, 'ui-failure.png') }).catch(() => undefined);
    // Whatever the workbench said may explain the failure.
    await page.keyboard.press('Escape').catch(() => undefined);
    await page.locator('.statusbar-item', { has: page.locator('.codicon-bell, .codicon-bell-dot') }).first().click({ timeout: 3000 }).catch(() => undefined);
    const notes = await page.locator('.notifications-center').innerText({ timeout: 3000 }).catch(() => '');
    if (notes.trim()) console.log(`notifications:\n${notes}`);
    if (process.env.VERBOSE) console.log(e);
  }
  const passed = results.filter(r => r.ok).length;
  const failed = results.length - passed;
  console.log(`ui: done after ${clock.ms()} ms`);
  console.log(`${passed} passed, ${failed} failed`);
  await browser.close().catch(() => undefined);
  process.exit(failed || results.length === 0 ? 1 : 0);
})().catch(e => { console.error(e); console.log('0 passed, 1 failed'); process.exit(2); });
