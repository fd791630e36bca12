// Integration suite: runs in VS Code's extension host against the busybox fixture workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tar from 'tar';
import * as vscode from 'vscode';
import type { RootfsNode } from '../../../src/extension/rootfsTree';
import type { PanelSnapshot } from '../../../src/extension/previewPanel';
import { api, EXTENSION_ID, rootfsDir, waitFor } from './helpers';

const label = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label ?? '');
const iconId = (item: vscode.TreeItem) => (item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined);

async function childrenByName(parent: RootfsNode | undefined): Promise<Map<string, { node: RootfsNode; item: vscode.TreeItem }>> {
  const a = await api();
  const kids = await a.tree.getChildren(parent);
  const out = new Map<string, { node: RootfsNode; item: vscode.TreeItem }>();
  for (const node of kids) {
    const item = a.tree.getTreeItem(node);
    out.set(label(item), { node, item });
  }
  return out;
}

async function child(parent: RootfsNode | undefined, name: string): Promise<RootfsNode> {
  const c = (await childrenByName(parent)).get(name);
  assert.ok(c, `no tree child named ${name}`);
  return c.node;
}

async function listArchive(file: string): Promise<Map<string, tar.ReadEntry['type']>> {
  const members = new Map<string, tar.ReadEntry['type']>();
  await tar.t({ file, onReadEntry: e => { members.set(e.path.replace(/\/$/, ''), e.type); } });
  return members;
}

function archive(name: string): string {
  return path.join(rootfsDir(), 'tmp', `${name}.tar.gz`);
}

/** The fixture's program with missing libraries (written by make-fixture.mjs). */
function missingFixture(): { program: string; missing: string[] } {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(rootfsDir()), 'notes', 'missing.json'), 'utf8'));
}

function leftovers(): string[] {
  return fs.readdirSync(path.join(rootfsDir(), 'tmp')).filter(f => f.includes('.partial'));
}

describe('Container Compositor in VS Code', function () {
  this.timeout(60_000);

  describe('activation', () => {
    it('activates and registers its commands', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, 'extension present');
      await waitFor('activation (workspaceContains os-release)', () => ext.isActive, 15_000);
      const cmds = await vscode.commands.getCommands(true);
      for (const c of ['preview', 'compose', 'export', 'addRootfs', 'refresh', 'openReadOnly', 'showLog']) {
        assert.ok(cmds.includes(`containerCompositor.${c}`), `command containerCompositor.${c} registered`);
      }
    });
  });

  describe('Root Filesystems tree', () => {
    it('shows the fixture rootfs (one level down) with its distribution and package manager', async () => {
      const roots = await childrenByName(undefined);
      assert.deepEqual([...roots.keys()], ['rootfs']);
      const { node, item } = roots.get('rootfs')!;
      assert.equal(node.kind, 'root');
      assert.equal(node.kind === 'root' && node.root.path, rootfsDir());
      assert.equal(item.description, 'Fixture Linux 1 (busybox) · dpkg');
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    });

    it('lists the top level folders first, with layout symlinks described', async () => {
      const root = await child(undefined, 'rootfs');
      const kids = await childrenByName(root);
      const names = [...kids.keys()];
      // Folders (and links to folders) first, sorted.
      assert.deepEqual(names, ['bin', 'etc', 'lib', 'lib64', 'root', 'run', 'sbin', 'tmp', 'usr', 'var']);
      const bin = kids.get('bin')!.item;
      assert.equal(bin.description, '→ usr/bin');
      assert.equal(iconId(bin), 'file-symlink-directory');
      assert.equal(bin.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    });

    it('describes ELF files and symlinks in usr/bin, resolving links inside the rootfs', async () => {
      const usr = await child(await child(undefined, 'rootfs'), 'usr');
      const bin = await childrenByName(await child(usr, 'bin'));
      const busybox = bin.get('busybox')!.item;
      assert.match(String(busybox.description), /^ELF 64-bit x86-64 (executable|shared object)$/);
      assert.equal(iconId(busybox), 'file-binary');
      assert.match(String(busybox.contextValue), /\belf\b/);

      const sh = bin.get('sh')!;
      assert.equal(sh.item.description, '→ busybox');
      assert.match(String(sh.item.contextValue), /\belf\b/, 'a link to an ELF file is previewable');
      // Absolute target: resolved against the rootfs, not the host's /usr/bin/busybox.
      const ls = bin.get('ls')!;
      assert.equal(ls.item.description, '→ /usr/bin/busybox');
      assert.ok(ls.node.kind === 'entry' && ls.node.entry.resolved?.hostPath === path.join(rootfsDir(), 'usr/bin/busybox'));

      assert.equal(iconId(bin.get('broken')!.item), 'warning');
      assert.match(String(bin.get('broken')!.item.description), /dangling/);
      assert.equal(iconId(bin.get('loop')!.item), 'warning');
      assert.match(String(bin.get('loop')!.item.description), /loop/);

      const script = bin.get('hello.sh')!.item;
      assert.doesNotMatch(String(script.contextValue), /\belf\b/);
      assert.notEqual(iconId(script), 'file-binary');
    });

    it('lists the interpreter and libraries through the lib -> usr/lib link', async () => {
      const lib = await child(await child(undefined, 'rootfs'), 'lib');
      const multi = await childrenByName(await child(lib, 'x86_64-linux-gnu'));
      assert.match(String(multi.get('libc.so.6')!.item.description), /^ELF 64-bit x86-64 shared object$/);
      assert.ok(multi.has('ld-linux-x86-64.so.2'));
      const lib64 = await childrenByName(await child(await child(undefined, 'rootfs'), 'lib64'));
      assert.equal(lib64.get('ld-linux-x86-64.so.2')!.item.description, '→ /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    });

    it('lists a FIFO without opening it', async () => {
      const run = await childrenByName(await child(await child(undefined, 'rootfs'), 'run'));
      const fifo = run.get('initctl')!.item;
      assert.equal(fifo.description, 'FIFO');
      assert.match(String(fifo.contextValue), /\bspecial\b/);
    });

    it('expands a folder of 1,500 entries quickly', async () => {
      const share = await child(await child(await child(undefined, 'rootfs'), 'usr'), 'share');
      const t0 = Date.now();
      const many = await childrenByName(await child(share, 'many'));
      const ms = Date.now() - t0;
      assert.equal(many.size, 1500);
      assert.ok(ms < 10_000, `took ${ms} ms`);
      assert.equal([...many.keys()][0], 'file-0000.txt');
    });
  });

  describe('Preview Dependencies', () => {
    it('opens the webview, which draws the interpreter and the libraries', async () => {
      const a = await api();
      const target = vscode.Uri.file(path.join(rootfsDir(), 'usr/bin/busybox'));
      await vscode.commands.executeCommand('containerCompositor.preview', target);
      const snap = await waitFor('the webview to report what it drew', async () => {
        const all = (await vscode.commands.executeCommand<PanelSnapshot[]>('containerCompositor.previewState')) ?? [];
        const s = all.find(p => p.targets[0] === '/usr/bin/busybox');
        if (s?.error) throw new Error(`the preview failed: ${s.error.message}`);
        return s?.rendered && s;
      });
      assert.equal(snap.root, rootfsDir());
      assert.ok(snap.readyCount >= 1, 'ready handshake happened');
      assert.equal(snap.error, undefined);
      for (const lib of ['/usr/bin/busybox', 'libc.so.6', 'libresolv.so.2', '/lib64/ld-linux-x86-64.so.2']) {
        assert.ok(snap.rendered!.libraries.includes(lib), `webview shows ${lib}: ${snap.rendered!.libraries.join(', ')}`);
      }
      assert.deepEqual(snap.rendered!.unresolved, []);
      assert.equal(snap.plan?.files, 4);
      assert.ok(a.previewState().some(s => s.targets[0] === '/usr/bin/busybox'));
    });

    it('shows the libraries it cannot find, with the directories searched', async () => {
      const { program, missing } = missingFixture();
      await vscode.commands.executeCommand('containerCompositor.preview', vscode.Uri.file(path.join(rootfsDir(), program)));
      const snap = await waitFor('the webview to draw the unresolved preview', async () => {
        const all = (await vscode.commands.executeCommand<PanelSnapshot[]>('containerCompositor.previewState')) ?? [];
        const s = all.find(p => p.targets[0] === program);
        if (s?.error) throw new Error(`the preview failed: ${s.error.message}`);
        return s?.rendered && s;
      });
      assert.ok(snap.plan!.unresolved.includes(missing[0]!), `engine reports ${missing[0]} unresolved: ${snap.plan!.unresolved}`);
      assert.ok(snap.rendered!.unresolved.includes(missing[0]!), 'the webview shows it');
      assert.ok(snap.rendered!.libraries.includes('libc.so.6'));
    });

    it('refuses a file outside any rootfs', async () => {
      const a = await api();
      const before = a.previewState().length;
      const outside = vscode.Uri.file(path.join(path.dirname(rootfsDir()), 'notes', 'README.txt'));
      const result = await vscode.commands.executeCommand('containerCompositor.preview', outside);
      assert.equal(result, undefined);
      assert.equal(a.previewState().length, before, 'no panel opened');
      const { targetFromArg } = await import('../../../src/extension/pickers');
      await assert.rejects(targetFromArg(outside, a.registry), /not inside a detected root filesystem/);
    });
  });

  describe('Compose Archive', () => {
    let restore: (() => void) | undefined;
    const asked: string[] = [];
    afterEach(() => { restore?.(); restore = undefined; });

    it('writes a valid archive with the program and its libraries', async () => {
      const a = await api();
      fs.rmSync(archive('bb-it'), { force: true });
      restore = a.setPrompts({
        askName: async def => { asked.push(`name:${def}`); return 'bb-it'; },
        announce: async () => undefined,
      });
      const outcome = await vscode.commands.executeCommand<{ status: string; path?: string }>(
        'containerCompositor.compose', vscode.Uri.file(path.join(rootfsDir(), 'usr/bin/busybox')));
      assert.equal(outcome?.status, 'written');
      assert.equal(outcome?.path, archive('bb-it'));
      assert.deepEqual(asked, ['name:busybox'], 'the default name is the program name');
      const members = await listArchive(archive('bb-it'));
      assert.equal(members.get('usr/bin/busybox'), 'File');
      assert.equal(members.get('usr/lib/x86_64-linux-gnu/libc.so.6'), 'File');
      assert.equal(members.get('usr/lib/x86_64-linux-gnu/libresolv.so.2'), 'File');
      assert.equal(members.get('usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), 'File');
      assert.equal(members.get('usr/lib64/ld-linux-x86-64.so.2'), 'SymbolicLink');
      assert.deepEqual(leftovers(), []);
    });

    it('leaves no file when cancelled while writing', async () => {
      const a = await api();
      fs.rmSync(archive('bb-cancel'), { force: true });
      const ac = new AbortController();
      let writes = 0;
      const outcome = await a.compose({
        root: rootfsDir(), exes: ['/usr/bin/busybox'], name: 'bb-cancel', signal: ac.signal,
        onProgress: p => { if (p.phase === 'write' && ++writes === 1) ac.abort(); },
      });
      assert.ok(writes >= 1, 'the writer reported progress before the cancel');
      assert.equal(outcome.status, 'cancelled');
      assert.equal(fs.existsSync(archive('bb-cancel')), false, 'no archive');
      assert.deepEqual(leftovers(), [], 'no partial file');
    });

    it('refuses to overwrite when the user declines, and replaces when confirmed', async () => {
      const a = await api();
      const file = archive('bb-it');
      assert.ok(fs.existsSync(file), 'archive from the earlier test');
      fs.writeFileSync(file, 'keep me');
      const asks: string[] = [];
      restore = a.setPrompts({ confirmOverwrite: async p => { asks.push(p); return false; }, announce: async () => undefined });
      const declined = await a.compose({ root: rootfsDir(), exes: ['/usr/bin/busybox'], name: 'bb-it' });
      assert.deepEqual(declined, { status: 'declined', reason: 'overwrite' });
      assert.deepEqual(asks, [file]);
      assert.equal(fs.readFileSync(file, 'utf8'), 'keep me', 'existing archive untouched');

      restore();
      restore = a.setPrompts({ confirmOverwrite: async () => true, announce: async () => undefined });
      const replaced = await a.compose({ root: rootfsDir(), exes: ['/usr/bin/busybox'], name: 'bb-it' });
      assert.equal(replaced.status, 'written');
      assert.ok((await listArchive(file)).has('usr/bin/busybox'));
    });

    it('asks before writing an archive that misses libraries', async () => {
      const a = await api();
      const { program, missing } = missingFixture();
      const asked: string[][] = [];
      restore = a.setPrompts({ confirmUnresolved: async names => { asked.push(names); return false; }, announce: async () => undefined });
      const outcome = await a.compose({ root: rootfsDir(), exes: [program], name: 'incomplete' });
      assert.deepEqual(outcome, { status: 'declined', reason: 'unresolved' });
      assert.equal(asked.length, 1);
      assert.ok(asked[0]!.includes(missing[0]!));
      assert.equal(fs.existsSync(archive('incomplete')), false);
    });

    it('reports an invalid archive name', async () => {
      const a = await api();
      await assert.rejects(a.compose({ root: rootfsDir(), exes: ['/usr/bin/busybox'], name: '../escape' }), /invalid archive name/);
    });
  });
});
