// The dependency tree: each target, its interpreter and its NEEDED entries, each with the
// path it resolved to, how it was found and the symlinks followed on the way.

import type { DepNode, SymlinkHop } from '../../src/engine/plan';
import { h, icon } from './dom';

const VIA_TEXT: Record<DepNode['via'], string> = {
  target: 'target',
  interpreter: 'PT_INTERP',
  path: 'by path',
  loaded: 'already loaded',
  rpath: 'DT_RPATH',
  runpath: 'DT_RUNPATH',
  'ld.so.conf': 'ld.so.conf',
  default: 'default dir',
};

function hopItem(hop: SymlinkHop): HTMLElement {
  return h('vscode-tree-item', { class: 'hop', title: `${hop.link} is a symlink to ${hop.target}` },
    icon(hop.kind === 'dir' ? 'file-symlink-directory' : 'file-symlink-file', { slot: 'icon-leaf' }),
    hop.link,
    h('span', { slot: 'description' }, `→ ${hop.target}`),
  );
}

function nodeItem(node: DepNode, depth: number): HTMLElement {
  const unresolved = !node.path;
  const title: string[] = [node.name];
  const item = h('vscode-tree-item', { 'data-name': node.name, class: unresolved ? 'unresolved' : node.repeated ? 'repeated' : undefined });
  const iconName = unresolved ? 'error' : node.via === 'target' ? 'file-binary' : node.via === 'interpreter' ? 'rocket' : 'library';
  for (const slot of ['icon-leaf', 'icon-branch', 'icon-branch-opened']) item.append(icon(iconName, { slot }));
  item.append(h('span', { class: 'dep-name' }, node.name));

  let description: string;
  if (unresolved) {
    description = 'not found';
    if (node.searched?.length) {
      description += ` — searched ${node.searched.join(', ')}`;
      title.push(`Searched: ${node.searched.join(', ')}`);
    }
  } else {
    const shown = node.via === 'target' && node.path === node.name ? '' : `→ ${node.path}`;
    const real = node.realPath && node.realPath !== node.path ? ` ⇒ ${node.realPath}` : '';
    description = `${shown}${real}`;
    if (node.repeated) description += ' (listed above)';
    title.push(`Found via ${VIA_TEXT[node.via]}${node.dir ? ` in ${node.dir}` : ''}`);
    if (node.path) title.push(`Path: ${node.path}`);
    if (node.realPath && node.realPath !== node.path) title.push(`Resolves to: ${node.realPath}`);
    if (node.description) title.push(node.description);
  }
  if (description) item.append(h('span', { slot: 'description' }, description));
  item.setAttribute('title', title.join('\n'));
  if (node.via !== 'target' || unresolved) {
    const via = unresolved ? 'unresolved' : VIA_TEXT[node.via] + (node.dir && (node.via === 'default' || node.via === 'ld.so.conf' || node.via === 'rpath' || node.via === 'runpath') ? ` · ${node.dir}` : '');
    item.append(h('span', { slot: 'decoration', class: `via via-${unresolved ? 'unresolved' : node.via}` }, via));
  }

  const children: HTMLElement[] = [];
  if (!node.repeated) {
    for (const hop of node.chain) children.push(hopItem(hop));
    for (const child of node.needed) children.push(nodeItem(child, depth + 1));
  }
  if (children.length > 0) {
    item.setAttribute('branch', '');
    item.setAttribute('open', '');
    for (const c of children) { c.setAttribute('slot', 'children'); item.append(c); }
  }
  return item;
}

export function renderDepTree(roots: DepNode[]): HTMLElement {
  const tree = h('vscode-tree', { 'indent-guides': 'always', 'aria-label': 'Dependency tree', id: 'dep-tree' });
  for (const r of roots) tree.append(nodeItem(r, 0));
  return tree;
}

/** Names drawn in the tree, in document order, without repeats. */
export function drawnNames(container: ParentNode): string[] {
  const out: string[] = [];
  for (const el of Array.from(container.querySelectorAll('vscode-tree-item[data-name]'))) {
    const n = el.getAttribute('data-name')!;
    if (!out.includes(n)) out.push(n);
  }
  return out;
}
