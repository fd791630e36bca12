// The Files and Packages tabs.

import type { PackageUse, PlanEntry } from '../../src/engine/plan';
import type { PlanView } from '../../src/shared/protocol';
import { formatBytes, h, icon } from './dom';

const TYPE_ICON: Record<PlanEntry['type'], string> = {
  file: 'file-binary',
  symlink: 'file-symlink-file',
  dir: 'folder',
  hardlink: 'references',
};

function cell(...children: (Node | string)[]): HTMLElement {
  return h('vscode-table-cell', null, ...children);
}

function header(columns: string[]): HTMLElement {
  return h('vscode-table-header', { slot: 'header' }, ...columns.map(c => h('vscode-table-header-cell', null, c)));
}

export function matchesFilter(e: PlanEntry, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return e.path.toLowerCase().includes(f) || (e.package ?? '').toLowerCase().includes(f) || e.reasons.some(r => r.toLowerCase().includes(f));
}

export function renderFileRows(entries: PlanEntry[], filter: string, onOpen: (path: string) => void): HTMLElement {
  const body = h('vscode-table-body', { slot: 'body' });
  for (const e of entries) {
    if (!matchesFilter(e, filter)) continue;
    const kind = e.type === 'symlink' ? `symlink → ${e.linkTarget ?? ''}` : e.type === 'hardlink' ? `hardlink → ${e.linkTarget ?? ''}` : e.type;
    // Data listed under /lib or /bin goes in through the alias (see PlanEntry.member).
    const what = e.member ? `${kind}, archived as ${e.member}` : kind;
    const pathCell = e.type === 'file'
      ? h('a', { href: '#', class: 'path', title: `Open ${e.path} read-only`, onclick: (ev: Event) => { ev.preventDefault(); onOpen(e.path); } }, e.path)
      : h('span', { class: 'path' }, e.path);
    body.append(h('vscode-table-row', { 'data-path': e.path },
      cell(icon(TYPE_ICON[e.type]), ' ', pathCell),
      cell(what),
      cell(e.type === 'file' ? formatBytes(e.size) : ''),
      cell(e.package ?? ''),
      cell(h('span', { title: e.reasons.join('\n') }, e.reasons[0] ?? '')),
    ));
  }
  return body;
}

const FILE_COLUMNS = ['42%', '20%', '9%', '10%', '19%'];

/**
 * vscode-table turns percentages into widths from its own width, which is 0 while its tab
 * is hidden: set the columns again the first time the table gets a width.
 */
function layoutColumnsWhenShown(table: HTMLElement, columns: string[]): void {
  const ro = new ResizeObserver(entries => {
    if (!entries.some(e => e.contentRect.width > 0)) return;
    ro.disconnect();
    // Let the table's own observer record its width first.
    setTimeout(() => { (table as unknown as { columns: string[] }).columns = [...columns]; }, 0);
  });
  ro.observe(table);
}

export function renderFiles(plan: PlanView, filter: string, onOpen: (path: string) => void): HTMLElement {
  const table = h('vscode-table', {
    id: 'files-table', zebra: true, resizable: true, 'aria-label': 'Files in the archive',
    columns: JSON.stringify(FILE_COLUMNS),
  }, header(['Path', 'Type', 'Size', 'Package', 'Why']), renderFileRows(plan.entries, filter, onOpen));
  fitHeight(table, plan.entries.length);
  layoutColumnsWhenShown(table, FILE_COLUMNS);
  return table;
}

/** The table scrolls inside a fixed height: no taller than its rows need. */
export function fitHeight(table: HTMLElement, rows: number): void {
  table.style.height = `${Math.min(480, 40 + Math.max(rows, 1) * 24)}px`;
}

export function renderPackages(packages: PackageUse[] | undefined): HTMLElement {
  if (!packages || packages.length === 0) {
    return h('p', { class: 'empty' }, icon('info'), ' No package database was read for this plan (autodeps "none", or the rootfs has none).');
  }
  const body = h('vscode-table-body', { slot: 'body' });
  for (const p of [...packages].sort((a, b) => b.bytes - a.bytes)) {
    body.append(h('vscode-table-row', null, cell(p.name), cell(p.version ?? ''), cell(String(p.files)), cell(formatBytes(p.bytes))));
  }
  return h('vscode-table', { zebra: true, 'aria-label': 'Packages' }, header(['Package', 'Version', 'Files', 'Size']), body);
}
