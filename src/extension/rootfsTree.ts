// The "Root Filesystems" view in the Explorer: one node per rootfs, children listed lazily
// and asynchronously.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { type FsEntry, isFolderLike, listDirectory } from './fsEntries';
import type { Log } from './log';
import { formatBytes } from './format';
import type { RootInfo, RootRegistry } from './rootfsDetection';

export const VIEW_ID = 'containerCompositor.rootfs';

export interface RootNode { kind: 'root'; root: RootInfo }
export interface EntryNode { kind: 'entry'; root: RootInfo; entry: FsEntry; parent: RootNode | EntryNode }
export interface MessageNode { kind: 'message'; text: string; warning: boolean; parent: RootNode | EntryNode }
export type RootfsNode = RootNode | EntryNode | MessageNode;

const KIND_TEXT: Partial<Record<FsEntry['kind'], string>> = {
  fifo: 'FIFO',
  socket: 'socket',
  char: 'character device',
  block: 'block device',
  unknown: 'special file',
};
const KIND_ICON: Partial<Record<FsEntry['kind'], string>> = {
  fifo: 'arrow-swap',
  socket: 'plug',
  char: 'circuit-board',
  block: 'database',
  unknown: 'question',
};


/** The rootfs path a node stands for ("/" for a root node). */
export function nodeRootPath(n: RootNode | EntryNode): string {
  return n.kind === 'root' ? '/' : n.entry.rootPath;
}

export class RootfsTreeProvider implements vscode.TreeDataProvider<RootfsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RootfsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly registry: RootRegistry, private readonly log: Log) {
    this.sub = registry.onDidChange(() => this.emitter.fire(undefined));
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  async getChildren(node?: RootfsNode): Promise<RootfsNode[]> {
    if (!node) {
      await this.registry.ready();
      return this.registry.list().map(root => ({ kind: 'root', root }));
    }
    if (node.kind === 'message') return [];
    if (node.kind === 'entry' && !isFolderLike(node.entry)) return [];
    const dir = nodeRootPath(node);
    const t0 = Date.now();
    const listing = await listDirectory(node.root.path, dir);
    const ms = Date.now() - t0;
    if (ms > 500) this.log.debug(`Listed ${node.root.path}${dir}: ${listing.entries.length} entries in ${ms} ms`);
    if (listing.problem) {
      this.log.warn(`Cannot list ${node.root.path}${dir}: ${listing.problem}`);
      return [{ kind: 'message', text: `Cannot read this folder: ${listing.problem}`, warning: true, parent: node }];
    }
    if (listing.entries.length === 0) return [{ kind: 'message', text: 'Empty folder', warning: false, parent: node }];
    return listing.entries.map(entry => ({ kind: 'entry', root: node.root, entry, parent: node }));
  }

  getParent(node: RootfsNode): RootfsNode | undefined {
    return node.kind === 'root' ? undefined : node.parent;
  }

  getTreeItem(node: RootfsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'root': return rootItem(node.root);
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = node.warning ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : undefined;
        item.contextValue = 'message';
        return item;
      }
      case 'entry': return entryItem(node);
    }
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

function rootItem(root: RootInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(path.basename(root.path) || root.path, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `root:${root.path}`;
  item.description = `${root.distro} · ${root.packageManager ?? 'no package database'}`;
  item.iconPath = new vscode.ThemeIcon('vm');
  item.contextValue = root.source === 'added' ? 'rootfs rootfs-added' : 'rootfs';
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMd(root.distro)}**\n\n`);
  md.appendMarkdown(`Path: \`${root.path}\`\n\n`);
  md.appendMarkdown(`Package manager: ${root.packageManager ?? 'none found'}\n\n`);
  md.appendMarkdown(root.source === 'added' ? 'Added with *Add Root Filesystem…*' : 'Detected in the workspace');
  item.tooltip = md;
  return item;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

function entryItem(node: EntryNode): vscode.TreeItem {
  const e = node.entry;
  const folder = isFolderLike(e);
  const item = new vscode.TreeItem(e.name, folder ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = `entry:${node.root.path}:${e.rootPath}`;
  const uri = vscode.Uri.file(e.resolved?.hostPath ?? e.hostPath);
  const ctx: string[] = [];
  const tip: string[] = [`\`${e.rootPath}\``];

  if (e.kind === 'symlink') {
    ctx.push('symlink');
    item.description = `→ ${e.linkTarget ?? '?'}`;
    if (e.resolved) tip.push(`Resolves to \`${e.resolved.rootPath}\` inside the rootfs`);
    if (e.problem) {
      item.description += ` (${e.problem})`;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      ctx.push('unreadable');
    } else if (folder) {
      item.iconPath = new vscode.ThemeIcon('file-symlink-directory');
      ctx.push('dir');
    } else {
      item.iconPath = new vscode.ThemeIcon('file-symlink-file');
      if (e.resolvedKind === 'file') ctx.push('file');
      else ctx.push('special');
    }
  } else if (e.problem) {
    item.description = e.problem;
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    ctx.push('unreadable');
    tip.push(`Cannot read: ${e.problem}`);
  } else if (e.kind === 'dir') {
    item.resourceUri = uri;
    item.iconPath = vscode.ThemeIcon.Folder;
    ctx.push('dir');
  } else if (e.kind === 'file') {
    item.resourceUri = uri;
    ctx.push('file');
    if (e.elf) {
      item.iconPath = new vscode.ThemeIcon('file-binary');
      item.description = e.elf.replace(/^ELF /, 'ELF ');
    } else {
      item.iconPath = vscode.ThemeIcon.File;
      item.description = formatBytes(e.size);
    }
  } else {
    item.iconPath = new vscode.ThemeIcon(KIND_ICON[e.kind] ?? 'question');
    item.description = KIND_TEXT[e.kind] ?? e.kind;
    ctx.push('special');
    tip.push(`${KIND_TEXT[e.kind] ?? 'special file'}: listed, never opened`);
  }
  if (e.elf) {
    ctx.push('elf');
    tip.push(e.elf);
  }
  if (e.size && !folder) tip.push(formatBytes(e.size));
  item.contextValue = ctx.join(' ');
  item.tooltip = new vscode.MarkdownString(tip.join('\n\n'));
  if (ctx.includes('file') && !e.elf) {
    item.command = { command: 'containerCompositor.openReadOnly', title: 'Open Read-Only', arguments: [node] };
  }
  return item;
}
