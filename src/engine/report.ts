// The dry-run report: a dependency tree in lddtree's shape (who needs what, `=> path`,
// and how it was found), then the members with sizes, totals and what is unresolved.
import type { DepNode, Plan } from './plan';
import { formatBytes } from './units';

const VIA: Record<string, string> = {
  interpreter: 'interpreter', rpath: 'RPATH', runpath: 'RUNPATH', 'ld.so.conf': 'ld.so.conf', default: 'default dirs',
  path: 'path', loaded: 'already loaded', target: 'target',
};

export { formatBytes };

/**
 * lddtree's shape: each library once, under the first object that needs it; an object
 * needed again is not repeated (the JSON tree keeps every edge). Symlink chains are left to
 * the member list, where each link appears with its target.
 */
export function formatTree(node: DepNode, depth = 0, lines: string[] = []): string[] {
  const pad = '    '.repeat(depth);
  if (depth === 0) {
    const interp = node.needed.find((n) => n.via === 'interpreter');
    const what = node.description?.startsWith('ELF') || !node.description ? '' : ` [${node.description}]`;
    lines.push(`${node.path ?? node.name}${what}${interp ? ` (interpreter => ${interp.path ?? `${interp.name} NOT FOUND`})` : ''}`);
  } else if (node.via !== 'interpreter') {
    if (node.repeated) return lines;
    const where = node.path ? `${node.path} [${VIA[node.via] ?? node.via}${node.dir ? ` ${node.dir}` : ''}]` : `not found (searched ${node.searched?.join(', ') || 'nothing'})`;
    lines.push(`${pad}${node.name} => ${where}`);
  }
  for (const c of node.needed) {
    // A script's interpreter (or the program env runs) is a tree of its own, indented.
    if (c.via === 'target') lines.push(...formatTree(c, 0).map((l) => `${pad}    ${l}`));
    else formatTree(c, depth + 1, lines);
  }
  return lines;
}

export function formatReport(plan: Plan): string {
  const out: string[] = [];
  for (const t of plan.tree) out.push(...formatTree(t));
  out.push('');
  out.push(`Members (${plan.entries.length}):`);
  for (const e of plan.entries) {
    const size = e.type === 'file' ? formatBytes(e.size) : '-';
    const link = e.linkTarget ? ` -> ${e.linkTarget}` : '';
    // [package, rule]; an entry no package owns (an alternatives link, a generated file) still shows its rule.
    const tags = [e.package, e.rule].filter(Boolean);
    const pkg = tags.length ? `  [${tags.join(', ')}]` : '';
    out.push(`  ${e.type.padEnd(8)} ${size.padStart(10)}  ${(e.member ?? e.path).slice(1)}${e.type === 'dir' ? '/' : ''}${link}${pkg}`);
  }
  if (plan.layoutLinks.length) {
    out.push('');
    out.push('Layout links followed but not archived (the target provides them):');
    for (const l of plan.layoutLinks) out.push(`  ${l.link} -> ${l.target}`);
  }
  if (plan.packages?.length) {
    out.push('');
    out.push(`Packages (${plan.packages.length}):`);
    // Columns as wide as their longest cell: Debian versions run to 40 characters.
    const nameWidth = Math.max(...plan.packages.map((p) => p.name.length));
    const versionWidth = Math.max(...plan.packages.map((p) => (p.version ?? '').length));
    for (const p of [...plan.packages].sort((a, b) => b.bytes - a.bytes)) {
      out.push(`  ${p.name.padEnd(nameWidth)}  ${(p.version ?? '').padEnd(versionWidth)}  ${formatBytes(p.bytes).padStart(10)}  ${p.files} file${p.files === 1 ? '' : 's'}`);
    }
  }
  const t = plan.totals;
  out.push('');
  if (plan.filtered) out.push(`Filtered out: ${plan.filtered} entries (profile)`);
  out.push(`Totals: ${t.files} files, ${t.symlinks} symlinks, ${t.hardlinks} hardlinks, ${t.dirs} dirs, ${formatBytes(t.bytes)}`);
  if (plan.warnings.length) {
    out.push('');
    out.push(`Warnings (${plan.warnings.length}):`);
    for (const w of plan.warnings) out.push(`  ${w}`);
  }
  out.push('');
  if (plan.unresolved.length === 0) out.push('Unresolved: none');
  else {
    out.push(`Unresolved (${plan.unresolved.length}):`);
    for (const u of plan.unresolved) {
      const removed = u.searched.length === 1 && u.searched[0] === 'removed by profile prune';
      out.push(`  ${u.soname} needed by ${u.neededBy}; ${removed ? u.searched[0] : `searched ${u.searched.join(', ') || '(nothing)'}`}`);
    }
  }
  return out.join('\n') + '\n';
}
