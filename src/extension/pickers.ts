// Turning command arguments into (rootfs, program) targets, with quick picks when the
// command was run from the palette.

import * as vscode from 'vscode';
import { type FsEntry, listDirectory } from './fsEntries';
import type { RootInfo, RootRegistry } from './rootfsDetection';
import { resolveInRoot, toRootPath } from './rootfsPaths';
import type { RootfsNode } from './rootfsTree';

export interface Target {
  root: RootInfo;
  /** Program path inside the rootfs ("/usr/bin/busybox"). */
  exe: string;
}

export const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export class NotInRootfsError extends Error {
  constructor(file: string) {
    super(`${file} is not inside a detected root filesystem. Use "Add Root Filesystem…" to add its root.`);
    this.name = 'NotInRootfsError';
  }
}

function isTreeNode(v: unknown): v is RootfsNode {
  return typeof v === 'object' && v !== null && 'kind' in v && ['root', 'entry', 'message'].includes((v as RootfsNode).kind);
}

/**
 * The target a command was invoked on: a tree node of our view, a file of the built-in
 * Explorer (Uri), or a host path string. Returns undefined for "no argument".
 */
export async function targetFromArg(arg: unknown, registry: RootRegistry): Promise<Target | undefined> {
  if (arg === undefined || arg === null) return undefined;
  if (isTreeNode(arg)) {
    if (arg.kind === 'entry') return { root: arg.root, exe: arg.entry.rootPath };
    return undefined;
  }
  let hostPath: string | undefined;
  if (arg instanceof vscode.Uri) hostPath = arg.fsPath;
  else if (typeof arg === 'string') hostPath = arg;
  else if (typeof arg === 'object' && 'fsPath' in arg && typeof (arg as { fsPath: unknown }).fsPath === 'string') hostPath = (arg as { fsPath: string }).fsPath;
  if (!hostPath) return undefined;
  await registry.ready();
  const root = registry.rootFor(hostPath);
  const exe = root && toRootPath(root.path, hostPath);
  if (!root || !exe || exe === '/') throw new NotInRootfsError(hostPath);
  return { root, exe };
}

export async function pickRoot(registry: RootRegistry, title: string): Promise<RootInfo | undefined> {
  const roots = await registry.ready().then(() => registry.list());
  if (roots.length === 1) return roots[0];
  if (roots.length === 0) {
    const add = 'Add Root Filesystem…';
    const choice = await vscode.window.showInformationMessage('No root filesystem found in this workspace.', add);
    if (choice === add) await vscode.commands.executeCommand('containerCompositor.addRootfs');
    const now = registry.list();
    return now.length === 1 ? now[0] : now.length > 1 ? pickRoot(registry, title) : undefined;
  }
  const picked = await vscode.window.showQuickPick(
    roots.map(r => ({ label: r.path.split('/').pop() || r.path, description: `${r.distro} · ${r.packageManager ?? 'no package database'}`, detail: r.path, root: r })),
    { title, placeHolder: 'Root filesystem' },
  );
  return picked?.root;
}

interface BinaryItem extends vscode.QuickPickItem { exe: string }

/** Quick pick of the ELF programs in the rootfs's PATH directories, filled in as they are found. */
export async function pickBinary(root: RootInfo, title: string): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<BinaryItem>();
  qp.title = title;
  qp.placeholder = `Program in ${root.path} (PATH directories)`;
  qp.matchOnDescription = true;
  qp.busy = true;
  qp.show();
  const seen = new Set<string>();
  const items: BinaryItem[] = [];
  const result = new Promise<string | undefined>(resolve => {
    qp.onDidAccept(() => { resolve(qp.selectedItems[0]?.exe); qp.hide(); });
    qp.onDidHide(() => { resolve(undefined); qp.dispose(); });
  });
  void (async () => {
    const dirsSeen = new Set<string>();
    for (const dir of PATH_DIRS) {
      // /bin and /usr/bin are often one folder (bin -> usr/bin): list it once.
      let canonical: string;
      try { canonical = (await resolveInRoot(root.path, dir)).rootPath; } catch { continue; }
      if (dirsSeen.has(canonical)) continue;
      dirsSeen.add(canonical);
      const listing = await listDirectory(root.path, dir);
      const found = listing.entries.filter((e: FsEntry) => e.elf !== undefined && (e.kind === 'file' || e.kind === 'symlink'));
      for (const e of found) {
        if (seen.has(e.rootPath)) continue;
        seen.add(e.rootPath);
        items.push({ label: e.name, description: e.rootPath, detail: e.kind === 'symlink' ? `→ ${e.linkTarget} · ${e.elf}` : e.elf, exe: e.rootPath });
      }
      if (found.length === 0) continue;
      items.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
      // Keep what the user has highlighted while the list grows.
      const active = qp.activeItems[0]?.exe;
      qp.items = [...items];
      const again = active && qp.items.find(i => i.exe === active);
      if (again) qp.activeItems = [again];
    }
    qp.busy = false;
    if (items.length === 0) qp.placeholder = `No ELF programs in the PATH directories of ${root.path}`;
  })();
  return result;
}

/** Target from an argument, or from the two pickers. */
export async function resolveTarget(arg: unknown, registry: RootRegistry, title: string): Promise<Target | undefined> {
  const fromArg = await targetFromArg(arg, registry);
  if (fromArg) return fromArg;
  const root = await pickRoot(registry, title);
  if (!root) return undefined;
  const exe = await pickBinary(root, title);
  return exe ? { root, exe } : undefined;
}
