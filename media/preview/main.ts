// Dependency Preview webview. Talks to the host only through src/shared/protocol.ts; keeps
// its UI state (tab, archive name, filter, scroll) with setState so a hidden panel comes
// back the same.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tree-item/index.js';
import '@vscode-elements/elements/dist/vscode-tree/index.js';

import {
  archiveNameProblem, AUTODEPS_LEVELS, type AutodepsLevel, type BusyState, type ErrorInfo, type PlanInputs, type PlanView,
  type PreviewInit, PROTOCOL_VERSION, type ToWebview, type WebviewUiState,
} from '../../src/shared/protocol';
import { drawnNames, renderDepTree } from './depTree';
import { formatBytes, h, icon } from './dom';
import { fitHeight, renderFileRows, renderFiles, renderPackages } from './tables';
import { vscodeApi } from './vscodeApi';

const AUTODEPS_HELP: Record<AutodepsLevel, string> = {
  none: 'ELF closure only',
  default: 'plus runtime data the packages need',
  tight: 'only what the program is known to open',
  free: 'whole packages of every library',
  clean: 'default, minus docs and locales',
};
const TABS = ['deps', 'files', 'packages', 'warnings'] as const;
type Tab = (typeof TABS)[number];

interface Model {
  init?: PreviewInit;
  plan?: PlanView;
  inputs: PlanInputs;
  busy?: BusyState;
  error?: ErrorInfo;
  notice?: { kind: 'done' | 'info'; text: string; archive?: string };
  ui: WebviewUiState;
}

const app = document.getElementById('app')!;
const model: Model = { inputs: { autodeps: 'none' }, ui: vscodeApi.getState() ?? {} };
let nextRequest = 1;

function saveUi(patch: Partial<WebviewUiState>): void {
  model.ui = { ...model.ui, ...patch };
  vscodeApi.setState(model.ui);
}

function request(): number {
  return nextRequest++;
}

// ---- actions ---------------------------------------------------------------------------

function recompute(inputs: PlanInputs): void {
  model.inputs = inputs;
  saveUi({ inputs, panel: model.ui.panel && { ...model.ui.panel, inputs } });
  model.notice = undefined;
  model.error = undefined;
  vscodeApi.postMessage({ type: 'recompute', requestId: request(), inputs });
}

function compose(): void {
  const name = currentName();
  const problem = archiveNameProblem(name);
  if (problem) {
    model.notice = { kind: 'info', text: problem };
    renderStatus();
    return;
  }
  model.notice = undefined;
  model.error = undefined;
  const id = request();
  model.busy = { requestId: id, what: 'compose', phase: 'write', done: 0 };
  renderStatus();
  vscodeApi.postMessage({ type: 'compose', requestId: id, name });
}

function cancel(): void {
  if (model.busy?.requestId !== undefined) vscodeApi.postMessage({ type: 'cancel', requestId: model.busy.requestId });
}

function currentName(): string {
  return (model.ui.name ?? model.plan?.defaultName ?? '').trim();
}

// ---- messages from the host -------------------------------------------------------------

window.addEventListener('message', (ev: MessageEvent) => {
  const msg = ev.data as ToWebview;
  switch (msg.type) {
    case 'init': {
      const init = msg.init;
      model.init = init;
      model.inputs = init.inputs;
      model.plan = init.plan;
      model.busy = init.busy;
      model.error = init.error;
      if (init.lastArchive) model.notice = { kind: 'done', text: `Wrote ${init.lastArchive.path} (${formatBytes(init.lastArchive.bytes)})`, archive: init.lastArchive.path };
      saveUi({ panel: init.panel, inputs: init.inputs });
      renderAll();
      break;
    }
    case 'plan':
      model.plan = msg.plan;
      model.inputs = msg.inputs;
      model.busy = undefined;
      model.error = undefined;
      renderAll();
      break;
    case 'progress':
      model.busy = msg.busy;
      renderStatus();
      break;
    case 'composed':
      model.busy = undefined;
      model.notice = { kind: 'done', text: `Wrote ${msg.path} (${formatBytes(msg.bytes)})`, archive: msg.path };
      renderStatus();
      break;
    case 'cancelled':
      model.busy = undefined;
      model.notice = { kind: 'info', text: msg.what === 'compose' ? 'Compose cancelled; no archive was written.' : 'Stopped.' };
      renderStatus();
      break;
    case 'profilePicked':
      if (msg.profile) recompute({ ...model.inputs, profile: msg.profile });
      break;
    case 'error':
      model.busy = undefined;
      model.error = msg.error;
      if (msg.what === 'plan') {
        model.plan = undefined;
        renderAll();
      } else {
        renderStatus();
      }
      break;
  }
});

// ---- rendering --------------------------------------------------------------------------

function renderAll(): void {
  const scrollY = model.ui.scrollY ?? 0;
  app.replaceChildren(renderHeader(), renderControls(), h('div', { id: 'status' }), renderBody());
  renderStatus();
  window.scrollTo(0, scrollY);
  if (model.plan) {
    // Tell the host what is on screen, once the custom elements are upgraded.
    requestAnimationFrame(() => vscodeApi.postMessage({
      type: 'rendered',
      libraries: drawnNames(app),
      unresolved: model.plan?.unresolved.map(u => u.soname) ?? [],
      files: model.plan?.totals.files ?? 0,
    }));
  }
}

function renderHeader(): HTMLElement {
  const plan = model.plan;
  const panel = model.init?.panel;
  const targets = plan?.targets ?? panel?.targets ?? [];
  const root = plan?.root ?? panel?.root ?? '';
  const stats: HTMLElement[] = [];
  if (plan) {
    const t = plan.totals;
    const stat = (label: string, value: string, title?: string) => h('div', { class: 'stat', title }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
    stats.push(
      stat('files', String(t.files)),
      stat('symlinks', String(t.symlinks)),
      stat('dirs', String(t.dirs)),
      stat('content', formatBytes(t.bytes), `${t.bytes} bytes`),
      stat('archive (est.)', `≈ ${formatBytes(plan.estimatedArchiveBytes)}`, 'Estimated size of the .tar.gz'),
      stat('unresolved', String(plan.unresolved.length)),
    );
    if (plan.unresolved.length > 0) stats[stats.length - 1]!.classList.add('bad');
  }
  return h('header', { class: 'head' },
    h('div', { class: 'title' },
      icon('type-hierarchy-sub'),
      h('h1', null, targets.join(', ') || 'Dependency Preview'),
    ),
    h('div', { class: 'subtitle' }, `in ${root}`, plan ? ` · ${plan.rootLabel}` : ''),
    stats.length ? h('div', { class: 'stats' }, ...stats) : null,
  );
}

function renderControls(): HTMLElement {
  const select = h('vscode-single-select', { id: 'autodeps', 'aria-label': 'Autodeps level' },
    ...AUTODEPS_LEVELS.map(l => h('vscode-option', { value: l, description: AUTODEPS_HELP[l], selected: l === model.inputs.autodeps }, l)),
  );
  select.addEventListener('change', () => {
    const v = (select as unknown as { value: string }).value as AutodepsLevel;
    if (v !== model.inputs.autodeps) recompute({ ...model.inputs, autodeps: v });
  });
  const profile = model.inputs.profile;
  const nameField = h('vscode-textfield', { id: 'archive-name', value: model.ui.name ?? model.plan?.defaultName ?? '', 'aria-label': 'Archive name' },
    h('span', { slot: 'content-after', class: 'suffix' }, '.tar.gz'));
  nameField.addEventListener('input', () => saveUi({ name: (nameField as unknown as { value: string }).value }));
  nameField.addEventListener('keydown', (ev: KeyboardEvent) => { if (ev.key === 'Enter') compose(); });
  const canCompose = model.init?.canCompose !== false;
  return h('section', { class: 'controls' },
    h('div', { class: 'group' },
      h('label', { for: 'autodeps' }, 'Autodeps'),
      select,
    ),
    h('div', { class: 'group' },
      h('label', null, 'Profile'),
      h('span', { class: profile ? 'profile' : 'profile none', title: profile ?? '' }, profile ? profile.split('/').pop()! : 'none'),
      h('vscode-button', { secondary: true, icon: 'folder-opened', id: 'pick-profile', title: 'Choose a YAML profile', onclick: () => vscodeApi.postMessage({ type: 'pickProfile', requestId: request() }) }, 'Choose…'),
      profile ? h('vscode-button', { secondary: true, icon: 'close', 'icon-only': true, title: 'No profile', onclick: () => recompute({ ...model.inputs, profile: undefined }) }) : null,
      h('vscode-button', { secondary: true, icon: 'refresh', id: 'recompute', title: 'Recompute the plan', onclick: () => recompute(model.inputs) }, 'Recompute'),
    ),
    h('div', { class: 'group compose' },
      h('label', { for: 'archive-name' }, 'Archive'),
      nameField,
      h('vscode-button', { id: 'compose', icon: 'package', disabled: !canCompose || !model.plan, title: canCompose ? `Write <rootfs>/tmp/<name>.tar.gz` : 'Disabled in Restricted Mode', onclick: compose }, 'Compose Archive'),
    ),
  );
}

function renderStatus(): void {
  const status = document.getElementById('status');
  if (!status) return;
  const parts: HTMLElement[] = [];
  const b = model.busy;
  if (b) {
    const pct = b.total ? Math.min(100, Math.round((b.done ?? 0) / b.total * 100)) : undefined;
    const text = b.what === 'compose' ? `Writing archive${pct !== undefined ? ` ${pct}%` : '…'}` : `Resolving dependencies${b.detail ? ` of ${b.detail}` : ''}…`;
    const bar = h('vscode-progress-bar', { 'aria-label': text });
    if (pct !== undefined && b.what === 'compose') { bar.setAttribute('value', String(pct)); bar.setAttribute('max', '100'); } else bar.setAttribute('indeterminate', '');
    parts.push(h('div', { class: 'busy' }, bar, h('div', { class: 'busy-row' }, h('span', { class: 'busy-text' }, text),
      h('vscode-button', { secondary: true, id: 'cancel', icon: 'stop-circle', onclick: cancel }, 'Cancel'))));
  }
  if (model.notice) {
    const n = model.notice;
    parts.push(h('div', { class: `notice ${n.kind}`, role: 'status' },
      icon(n.kind === 'done' ? 'pass' : 'info'), h('span', null, n.text),
      n.archive ? h('vscode-button', { secondary: true, icon: 'go-to-file', onclick: () => vscodeApi.postMessage({ type: 'revealArchive', path: n.archive! }) }, 'Reveal in Explorer') : null,
    ));
  }
  if (model.error && model.plan) parts.push(errorBox(model.error));
  status.replaceChildren(...parts);
  const composeBtn = document.getElementById('compose');
  if (composeBtn) composeBtn.toggleAttribute('disabled', !!b || !model.plan || model.init?.canCompose === false);
}

function errorBox(e: ErrorInfo): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' },
    icon('error'), h('span', { class: 'error-text' }, e.message),
    h('vscode-button', { secondary: true, icon: 'output', onclick: () => vscodeApi.postMessage({ type: 'showLog' }) }, 'Show Log'),
  );
}

function renderBody(): HTMLElement {
  const plan = model.plan;
  if (!plan) {
    if (model.error) return h('main', null, errorBox(model.error));
    return h('main', null, h('p', { class: 'loading' }, 'Resolving dependencies…'));
  }
  const parts: HTMLElement[] = [];
  if (plan.unresolved.length > 0) {
    parts.push(h('section', { class: 'unresolved-list', role: 'alert' },
      h('h2', null, icon('error'), ` ${plan.unresolved.length} unresolved librar${plan.unresolved.length === 1 ? 'y' : 'ies'}`),
      h('ul', null, ...plan.unresolved.map(u => h('li', null,
        h('code', { class: 'soname' }, u.soname), ` needed by `, h('code', null, u.neededBy),
        u.searched.length ? h('div', { class: 'searched' }, `searched: ${u.searched.join(', ')}`) : null,
      ))),
    ));
  }
  const tab: Tab = TABS.includes(model.ui.tab as Tab) ? (model.ui.tab as Tab) : 'deps';
  const filter = model.ui.fileFilter ?? '';
  const filterField = h('vscode-textfield', { placeholder: 'Filter files', value: filter, id: 'file-filter', 'aria-label': 'Filter files' }, icon('filter', { slot: 'content-before' }));
  const filesHolder = renderFiles(plan, filter, openFile);
  filterField.addEventListener('input', () => {
    const v = (filterField as unknown as { value: string }).value;
    saveUi({ fileFilter: v });
    const rows = renderFileRows(plan.entries, v, openFile);
    filesHolder.querySelector('vscode-table-body')?.replaceWith(rows);
    fitHeight(filesHolder, rows.childElementCount);
  });
  const warnings = [...plan.warnings];
  const tabs = h('vscode-tabs', { 'selected-index': TABS.indexOf(tab) },
    h('vscode-tab-header', { slot: 'header', 'data-tab': 'deps' }, 'Dependencies'),
    h('vscode-tab-panel', null, renderDepTree(plan.tree)),
    h('vscode-tab-header', { slot: 'header', 'data-tab': 'files' }, `Files (${plan.entries.length})`),
    h('vscode-tab-panel', null,
      h('div', { class: 'files-bar' }, filterField,
        h('span', { class: 'totals' }, `${plan.totals.files} files, ${plan.totals.symlinks} symlinks, ${plan.totals.dirs} dirs, ${plan.totals.hardlinks} hardlinks · ${formatBytes(plan.totals.bytes)} · archive ≈ ${formatBytes(plan.estimatedArchiveBytes)}`)),
      filesHolder),
    h('vscode-tab-header', { slot: 'header', 'data-tab': 'packages' }, `Packages (${plan.packages?.length ?? 0})`),
    h('vscode-tab-panel', null, renderPackages(plan.packages)),
    h('vscode-tab-header', { slot: 'header', 'data-tab': 'warnings' }, `Notes (${warnings.length + plan.layoutLinks.length})`),
    h('vscode-tab-panel', null,
      warnings.length ? h('ul', { class: 'warnings' }, ...warnings.map(w => h('li', null, icon('warning'), ' ', w))) : h('p', { class: 'empty' }, 'No warnings.'),
      plan.layoutLinks.length ? h('div', null, h('h3', null, 'Layout links (not archived)'),
        h('ul', { class: 'layout' }, ...plan.layoutLinks.map(l => h('li', null, h('code', null, l.link), ' → ', h('code', null, l.target))))) : null,
    ),
  );
  tabs.addEventListener('vsc-tabs-select', ev => {
    const i = (ev as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    saveUi({ tab: TABS[i] ?? 'deps' });
  });
  parts.push(tabs);
  parts.push(h('footer', { class: 'foot' }, `Resolved in ${plan.elapsedMs} ms with autodeps "${plan.autodeps ?? model.inputs.autodeps}". Archive: ${plan.archivePath.replace(/[^/]*\.tar\.gz$/, '')}${currentName() || plan.defaultName}.tar.gz`));
  return h('main', null, ...parts);
}

function openFile(path: string): void {
  vscodeApi.postMessage({ type: 'openFile', path });
}

let scrollTimer: number | undefined;
window.addEventListener('scroll', () => {
  if (scrollTimer !== undefined) clearTimeout(scrollTimer);
  scrollTimer = window.setTimeout(() => saveUi({ scrollY: Math.round(window.scrollY) }), 150);
});

// Handshake: the host answers with `init`.
vscodeApi.postMessage({ type: 'ready', protocol: PROTOCOL_VERSION });
