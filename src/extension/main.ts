// Entry point: builds the services and registers the command table.

import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import { CancelledError } from '../engine/index';
import { type ComposeArgs, type ComposeOutcome, ComposeService, type Prompts } from './composeFlow';
import { Log, showError } from './log';
import { NotInRootfsError, resolveTarget, type Target } from './pickers';
import { type PanelSnapshot, PREVIEW_VIEW_TYPE, PreviewPanel } from './previewPanel';
import { RootRegistry } from './rootfsDetection';
import { resolveInRoot } from './rootfsPaths';
import { type RootfsNode, RootfsTreeProvider, VIEW_ID } from './rootfsTree';

/** What activate() returns: used by the integration tests, stable enough for other extensions. */
export interface ContainerCompositorApi {
  registry: RootRegistry;
  tree: RootfsTreeProvider;
  composer: ComposeService;
  /** State of every open preview panel. */
  previewState(): PanelSnapshot[];
  /** Replaces the interactive prompts (tests); returns a function that restores them. */
  setPrompts(p: Partial<Prompts>): () => void;
  compose(args: ComposeArgs): Promise<ComposeOutcome>;
}

interface Services {
  context: vscode.ExtensionContext;
  log: Log;
  registry: RootRegistry;
  tree: RootfsTreeProvider;
  treeView: vscode.TreeView<RootfsNode>;
  composer: ComposeService;
}

type CommandHandler = (s: Services, ...args: unknown[]) => unknown;

function panelDeps(s: Services) {
  return { extensionUri: s.context.extensionUri, log: s.log, composer: s.composer, registry: s.registry };
}

/** Host path of a command argument (tree node or Uri), following symlinks inside the rootfs. */
async function hostPathOf(s: Services, arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const node = arg as RootfsNode | undefined;
  if (node?.kind === 'entry') return (await resolveInRoot(node.root.path, node.entry.rootPath)).hostPath;
  if (node?.kind === 'root') return node.root.path;
  const t = await resolveTarget(undefined, s.registry, 'Open');
  return t ? (await resolveInRoot(t.root.path, t.exe)).hostPath : undefined;
}

async function previewTarget(s: Services, t: Target): Promise<PreviewPanel> {
  return PreviewPanel.show(panelDeps(s), t.root.path, [t.exe]);
}

async function composeTarget(s: Services, t: Target): Promise<ComposeOutcome> {
  const outcome = await s.composer.compose({ root: t.root.path, exes: [t.exe] });
  if (outcome.status === 'cancelled') void vscode.window.showInformationMessage('Compose cancelled; no archive was written.');
  return outcome;
}

const commands: Record<string, CommandHandler> = {
  'containerCompositor.refresh': async s => {
    await s.registry.refresh();
    s.tree.refresh();
  },
  'containerCompositor.addRootfs': async s => {
    const picked = await vscode.window.showOpenDialog({
      title: 'Add Root Filesystem', canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Add Root Filesystem',
    });
    if (!picked?.[0]) return undefined;
    const info = await s.registry.add(picked[0].fsPath);
    void vscode.window.showInformationMessage(`Added ${info.path} (${info.distro}).`);
    return info;
  },
  'containerCompositor.removeRootfs': async (s, arg) => {
    const node = arg as RootfsNode | undefined;
    if (node?.kind === 'root') await s.registry.remove(node.root.path);
  },
  'containerCompositor.preview': async (s, arg) => {
    const t = await resolveTarget(arg, s.registry, 'Preview Dependencies');
    if (t) await previewTarget(s, t);
    return t;
  },
  'containerCompositor.compose': async (s, arg) => {
    const t = await resolveTarget(arg, s.registry, 'Compose Archive');
    return t ? composeTarget(s, t) : undefined;
  },
  'containerCompositor.export': async s => {
    const t = await resolveTarget(undefined, s.registry, 'Export Archive');
    return t ? composeTarget(s, t) : undefined;
  },
  'containerCompositor.openReadOnly': async (s, arg) => {
    const hostPath = await hostPathOf(s, arg);
    if (!hostPath) return;
    const st = await fsp.lstat(hostPath);
    if (!st.isFile()) {
      void vscode.window.showWarningMessage(`${hostPath} is not a regular file; it is not opened.`);
      return;
    }
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(hostPath), { preview: true });
    await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
  },
  'containerCompositor.revealInExplorer': async (s, arg) => {
    const hostPath = await hostPathOf(s, arg);
    if (hostPath) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(hostPath));
  },
  'containerCompositor.revealInOS': async (s, arg) => {
    const hostPath = await hostPathOf(s, arg);
    if (hostPath) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(hostPath));
  },
  'containerCompositor.showLog': s => s.log.show(),
  /** Returns the preview panels' state (for tests and diagnostics); not in the palette. */
  'containerCompositor.previewState': () => PreviewPanel.all().map(p => p.snapshot()),
};

/** Wraps a handler so failures become one notification with "Show Log" (and a log line). */
function guarded(s: Services, id: string, fn: CommandHandler): (...args: unknown[]) => Promise<unknown> {
  return async (...args: unknown[]) => {
    try {
      return await fn(s, ...args);
    } catch (err) {
      if (err instanceof CancelledError) return undefined;
      const title = err instanceof NotInRootfsError ? 'Container Compositor'
        : id === 'containerCompositor.preview' ? 'Preview Dependencies failed'
        : id === 'containerCompositor.compose' || id === 'containerCompositor.export' ? 'Compose Archive failed'
        : 'Container Compositor';
      // Not rethrown: menus would show the error a second time.
      void showError(s.log, title, err);
      return undefined;
    }
  };
}

export function activate(context: vscode.ExtensionContext): ContainerCompositorApi {
  const log = new Log();
  context.subscriptions.push(log);
  log.info(`Activating Container Compositor ${context.extension.packageJSON.version ?? ''} (VS Code ${vscode.version})`);
  const registry = new RootRegistry(context.workspaceState, log);
  const tree = new RootfsTreeProvider(registry, log);
  const treeView = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(registry, tree, treeView);
  const composer = new ComposeService(log);
  const s: Services = { context, log, registry, tree, treeView, composer };

  for (const [id, fn] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(s, id, fn)));
  }
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, {
    async deserializeWebviewPanel(panel, state) {
      await registry.ready();
      PreviewPanel.revive(panelDeps(s), panel, state);
    },
  }));
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => log.info('Workspace trusted: composing enabled')));

  return {
    registry,
    tree,
    composer,
    previewState: () => PreviewPanel.all().map(p => p.snapshot()),
    setPrompts(p) {
      const before = composer.prompts;
      composer.prompts = { ...before, ...p };
      return () => { composer.prompts = before; };
    },
    compose: args => composer.compose(args),
  };
}

export function deactivate(): void {
  for (const p of PreviewPanel.all()) p.dispose();
}
