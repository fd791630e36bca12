// The Dependency Preview webview panel: one per (rootfs, program). The host owns the plan;
// the webview draws it and keeps only its UI state. Messages follow src/shared/protocol.ts.

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { CancelledError, ComposeError, type Plan } from '../engine/index';
import {
  type BusyState, type ErrorInfo, type FromWebview, isAutodepsLevel, isFromWebview, type PlanInputs, type PlanView,
  type PreviewInit, PROTOCOL_VERSION, type RenderedMessage, type SerializedPanel, type ToWebview, type WebviewUiState,
} from '../shared/protocol';
import type { ComposeService } from './composeFlow';
import { revealArchive } from './composeFlow';
import { basenameOf } from './format';
import { errorKind, errorMessage, type Log } from './log';
import { toPlanView } from './planView';
import type { RootRegistry } from './rootfsDetection';
import { resolveInRoot } from './rootfsPaths';

export const PREVIEW_VIEW_TYPE = 'containerCompositor.preview';

/** What tests (and the command that returns panel state) can see of a panel. */
export interface PanelSnapshot {
  root: string;
  targets: string[];
  visible: boolean;
  inputs: PlanInputs;
  busy?: BusyState;
  error?: ErrorInfo;
  /** What the engine resolved. */
  plan?: { libraries: string[]; unresolved: string[]; files: number; bytes: number };
  /** What the webview reported it has drawn. */
  rendered?: Omit<RenderedMessage, 'type'>;
  lastArchive?: { path: string; bytes: number };
  readyCount: number;
}

export interface PanelDeps {
  extensionUri: vscode.Uri;
  log: Log;
  composer: ComposeService;
  registry: RootRegistry;
}

function nonce(): string {
  return crypto.randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function errorInfo(err: unknown): ErrorInfo {
  return { message: errorMessage(err), kind: errorKind(err), file: err instanceof ComposeError ? err.file : undefined };
}

function namesInTree(plan: Plan): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (nodes: Plan['tree']) => {
    for (const n of nodes) {
      if (!seen.has(n.name)) { seen.add(n.name); out.push(n.name); }
      walk(n.needed);
    }
  };
  walk(plan.tree);
  return out;
}

export class PreviewPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, PreviewPanel>();
  private static readonly changed = new vscode.EventEmitter<PreviewPanel>();
  /** Fires when a panel's state changes (plan, rendering, errors). */
  static readonly onDidChange = PreviewPanel.changed.event;

  private plan?: Plan;
  private view?: PlanView;
  private inputs: PlanInputs;
  private busy?: BusyState;
  private error?: ErrorInfo;
  private lastArchive?: { path: string; bytes: number };
  private rendered?: Omit<RenderedMessage, 'type'>;
  private readyCount = 0;
  private readonly running = new Map<number, AbortController>();
  private hostRequest = -1;
  private planGeneration = 0;
  private planAbort?: AbortController;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  static key(root: string, targets: string[]): string {
    return `${root}\0${targets.join('\0')}`;
  }

  static all(): PreviewPanel[] {
    return [...PreviewPanel.panels.values()];
  }

  /** Shows the panel for root+targets, creating it (and computing the plan) if needed. */
  static show(deps: PanelDeps, root: string, targets: string[], inputs?: PlanInputs): PreviewPanel {
    const existing = PreviewPanel.panels.get(PreviewPanel.key(root, targets));
    if (existing) {
      existing.panel.reveal(undefined, false);
      if (inputs && (inputs.autodeps !== existing.inputs.autodeps || inputs.profile !== existing.inputs.profile)) void existing.recompute(inputs);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      PREVIEW_VIEW_TYPE,
      `Dependencies: ${targets.map(basenameOf).join(', ')}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      PreviewPanel.webviewOptions(deps.extensionUri),
    );
    return new PreviewPanel(deps, panel, root, targets, inputs ?? deps.composer.defaultInputs(vscode.Uri.file(root)));
  }

  /** Brings a panel back after a window reload (see the serializer in main.ts). */
  static revive(deps: PanelDeps, panel: vscode.WebviewPanel, state: unknown): PreviewPanel | undefined {
    const s = (state ?? {}) as WebviewUiState;
    const p = s.panel;
    if (!p || typeof p.root !== 'string' || !Array.isArray(p.targets) || !p.targets.every(t => typeof t === 'string')) {
      panel.dispose();
      return undefined;
    }
    panel.webview.options = PreviewPanel.webviewOptions(deps.extensionUri);
    const inputs = p.inputs && isAutodepsLevel(p.inputs.autodeps) ? p.inputs : deps.composer.defaultInputs(vscode.Uri.file(p.root));
    return new PreviewPanel(deps, panel, p.root, p.targets, inputs);
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'media')],
    };
  }

  private constructor(
    private readonly deps: PanelDeps,
    readonly panel: vscode.WebviewPanel,
    readonly root: string,
    readonly targets: string[],
    inputs: PlanInputs,
  ) {
    this.inputs = inputs;
    PreviewPanel.panels.set(PreviewPanel.key(root, targets), this);
    panel.iconPath = new vscode.ThemeIcon('type-hierarchy-sub');
    panel.webview.html = this.html();
    panel.webview.onDidReceiveMessage(m => this.onMessage(m), undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    panel.onDidChangeViewState(() => PreviewPanel.changed.fire(this), undefined, this.disposables);
    void this.recompute(inputs);
  }

  snapshot(): PanelSnapshot {
    return {
      root: this.root,
      targets: this.targets,
      visible: this.panel.visible,
      inputs: this.inputs,
      busy: this.busy,
      error: this.error,
      plan: this.plan && {
        libraries: namesInTree(this.plan),
        unresolved: this.plan.unresolved.map(u => u.soname),
        files: this.plan.totals.files,
        bytes: this.plan.totals.bytes,
      },
      rendered: this.rendered,
      lastArchive: this.lastArchive,
      readyCount: this.readyCount,
    };
  }

  private post(msg: ToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(msg);
  }

  private rootLabel(): string {
    return this.deps.registry.list().find(r => r.path === this.root)?.distro ?? this.root;
  }

  private init(): PreviewInit {
    return {
      protocol: PROTOCOL_VERSION,
      panel: { root: this.root, targets: this.targets, inputs: this.inputs },
      inputs: this.inputs,
      canCompose: vscode.workspace.isTrusted,
      plan: this.view,
      busy: this.busy,
      error: this.error,
      lastArchive: this.lastArchive,
    };
  }

  /** Computes the plan; `requestId` answers a webview request, host-initiated work has none. */
  async recompute(inputs: PlanInputs, requestId?: number): Promise<void> {
    const id = requestId ?? this.hostRequest--;
    this.planAbort?.abort();
    const generation = ++this.planGeneration;
    const ac = new AbortController();
    this.planAbort = ac;
    this.running.set(id, ac);
    this.inputs = inputs;
    this.busy = { requestId: id, what: 'plan', phase: 'resolve', done: 0 };
    this.post({ type: 'progress', busy: this.busy });
    const t0 = Date.now();
    try {
      const plan = await this.deps.composer.plan(this.root, this.targets, inputs, {
        signal: ac.signal,
        onProgress: p => {
          if (generation !== this.planGeneration) return;
          this.busy = { requestId: id, what: 'plan', ...p };
          this.post({ type: 'progress', busy: this.busy });
        },
      });
      if (generation !== this.planGeneration) return;
      this.plan = plan;
      this.view = toPlanView(plan, this.rootLabel(), Date.now() - t0);
      this.error = undefined;
      this.busy = undefined;
      this.post({ type: 'plan', requestId: requestId, inputs, plan: this.view });
    } catch (err) {
      if (generation !== this.planGeneration) return;
      this.busy = undefined;
      if (err instanceof CancelledError) {
        this.post({ type: 'cancelled', requestId, what: 'plan' });
      } else {
        this.deps.log.error(`Preview of ${this.targets.join(' ')} in ${this.root}: ${errorMessage(err)}`);
        this.error = errorInfo(err);
        this.plan = undefined;
        this.view = undefined;
        this.post({ type: 'error', requestId, what: 'plan', error: this.error });
      }
    } finally {
      this.running.delete(id);
      PreviewPanel.changed.fire(this);
    }
  }

  private async composeFromWebview(requestId: number, name: string): Promise<void> {
    if (!this.plan) {
      this.post({ type: 'error', requestId, what: 'compose', error: { message: 'There is no plan to compose yet.' } });
      return;
    }
    const ac = new AbortController();
    this.running.set(requestId, ac);
    this.busy = { requestId, what: 'compose', phase: 'write', done: 0, total: this.plan.totals.bytes };
    this.post({ type: 'progress', busy: this.busy });
    try {
      const outcome = await this.deps.composer.compose({
        root: this.root, exes: this.targets, plan: this.plan, name, signal: ac.signal,
        onProgress: p => {
          this.busy = { requestId, what: 'compose', ...p };
          this.post({ type: 'progress', busy: this.busy });
        },
      });
      this.busy = undefined;
      if (outcome.status === 'written') {
        this.lastArchive = { path: outcome.path, bytes: outcome.bytes };
        this.post({ type: 'composed', requestId, path: outcome.path, bytes: outcome.bytes });
      } else {
        this.post({ type: 'cancelled', requestId, what: 'compose' });
      }
    } catch (err) {
      this.busy = undefined;
      this.deps.log.error(`Compose from preview: ${errorMessage(err)}`);
      this.post({ type: 'error', requestId, what: 'compose', error: errorInfo(err) });
    } finally {
      this.running.delete(requestId);
      PreviewPanel.changed.fire(this);
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isFromWebview(raw)) {
      this.deps.log.warn(`Preview: ignored a malformed message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const m: FromWebview = raw;
    switch (m.type) {
      case 'ready':
        this.readyCount++;
        if (m.protocol !== PROTOCOL_VERSION) this.deps.log.warn(`Preview webview speaks protocol ${m.protocol}, host ${PROTOCOL_VERSION}`);
        this.post({ type: 'init', init: this.init() });
        PreviewPanel.changed.fire(this);
        return;
      case 'recompute':
        await this.recompute(m.inputs, m.requestId);
        return;
      case 'compose':
        await this.composeFromWebview(m.requestId, m.name);
        return;
      case 'cancel':
        this.running.get(m.requestId)?.abort();
        return;
      case 'pickProfile': {
        const picked = await vscode.window.showOpenDialog({
          title: 'Choose a profile', canSelectFiles: true, canSelectFolders: false, canSelectMany: false,
          filters: { 'YAML profile': ['yaml', 'yml'] },
        });
        this.post({ type: 'profilePicked', requestId: m.requestId, profile: picked?.[0]?.fsPath });
        return;
      }
      case 'openFile':
        try {
          const r = await resolveInRoot(this.root, m.path);
          await vscode.commands.executeCommand('containerCompositor.openReadOnly', vscode.Uri.file(r.hostPath));
        } catch (err) {
          this.post({ type: 'error', what: 'other', error: errorInfo(err) });
        }
        return;
      case 'revealArchive':
        await revealArchive(m.path);
        return;
      case 'rendered':
        this.rendered = { libraries: m.libraries, unresolved: m.unresolved, files: m.files };
        PreviewPanel.changed.fire(this);
        return;
      case 'showLog':
        this.deps.log.show();
        return;
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'media');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'preview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'preview.css'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(media, 'codicons', 'codicon.css'));
    const n = nonce();
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource} 'nonce-${n}'`,
      `script-src 'nonce-${n}'`,
    ].join('; ');
    const title = `Dependencies of ${this.targets.join(', ')}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet" nonce="${n}">
<link rel="stylesheet" href="${style}" nonce="${n}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="app" data-nonce="${n}" aria-live="polite"><p class="loading">Loading…</p></div>
<script type="module" nonce="${n}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const ac of this.running.values()) ac.abort();
    PreviewPanel.panels.delete(PreviewPanel.key(this.root, this.targets));
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
    PreviewPanel.changed.fire(this);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export type { SerializedPanel };
