// Collects plan entries. Every path goes in at its canonical location (no symlink above
// it), every symlink met on the way goes in as a symlink, and parent directories get
// their real modes. The rules that keep an archive safe to unpack on any target are here:
//
// * Layout aliases — a top-level `bin`, `sbin`, `lib`, `lib32`, `lib64`, `libx32` that is
//   a directory symlink (`lib -> usr/lib`) — are recorded in `layoutLinks` but are not
//   members, and neither are real top-level directories of those names. Every target has
//   them, as a directory (flat busybox) or as a link (merged /usr); a member of that name
//   would make GNU tar replace the target's link with an empty directory.
// * Other directory symlinks (`/usr/lib/ssl/certs -> /etc/ssl/certs`) are members, because
//   programs reach files through them; what lies behind them is stored at its real path.
// * A symlink whose text runs through a directory symlink is rewritten to name the same
//   file by its canonical path, because the target may lack that directory link.
import { type Stats } from 'node:fs';
import * as path from 'node:path';
import type { PlanEntry, PlanTotals, SymlinkHop } from './plan';
import type { Resolution, Rootfs } from './rootfs';

const posix = path.posix;
const LAYOUT_ALIAS = /^\/(bin|sbin|lib|lib32|lib64|libx32|libo32)$/;

export function isLayoutAlias(p: string): boolean {
  return LAYOUT_ALIAS.test(p);
}

export interface AddOptions {
  rule: string;
  package?: string;
}

export class PlanBuilder {
  private map = new Map<string, PlanEntry>();
  private stats = new Map<string, Stats>();
  readonly layoutLinks = new Map<string, SymlinkHop>();
  readonly warnings: string[] = [];

  constructor(readonly fs: Rootfs) {}

  has(p: string): boolean {
    return this.map.has(p);
  }

  get(p: string): PlanEntry | undefined {
    return this.map.get(p);
  }

  /** Current entries (live objects: callers may annotate them). */
  entries(): PlanEntry[] {
    return [...this.map.values()];
  }

  /** Drops an entry (profile filters); its parents stay unless removed themselves. */
  remove(p: string): void {
    this.map.delete(p);
    this.stats.delete(p);
  }

  /** Resolves a rootfs path and adds it, with every symlink on the way. */
  async addPath(p: string, reason: string, opts: AddOptions): Promise<Resolution | undefined> {
    const res = await this.fs.resolve(p);
    if (!res.stat) {
      this.warnings.push(`${p}: does not exist (wanted as ${reason})`);
      return undefined;
    }
    await this.addResolved(res, reason, opts);
    return res;
  }

  /** Adds the hops of a resolution and its final file. */
  async addResolved(res: Resolution, reason: string, opts: AddOptions): Promise<void> {
    for (const hop of res.hops) await this.addHop(hop, reason, opts);
    if (res.stat) await this.addNode(res.path, res.stat, reason, opts);
  }

  /** Adds a symlink (without following it) at a path whose parents are canonical. */
  async addHop(hop: SymlinkHop, reason: string, opts: AddOptions): Promise<void> {
    if (hop.kind === 'dir' && isLayoutAlias(hop.link)) {
      this.layoutLinks.set(hop.link, hop);
      return;
    }
    const st = await this.fs.lstat(hop.link);
    if (!st) return;
    const existing = this.map.get(hop.link);
    if (existing) {
      addReason(existing, `symlink on the way to ${reason}`);
      return;
    }
    const linkTarget = await this.rewriteLink(hop.link, hop.target);
    const entry = this.makeEntry(hop.link, 'symlink', st, `symlink on the way to ${reason}`, opts);
    entry.linkTarget = linkTarget;
    if (linkTarget !== hop.target) addReason(entry, `link text rewritten from ${hop.target} (it runs through a directory symlink)`);
    await this.addParents(hop.link, opts);
    this.map.set(hop.link, entry);
  }

  /** Adds a canonical path that exists: file, directory, or a symlink left unfollowed. */
  async addNode(p: string, st: Stats, reason: string, opts: AddOptions): Promise<void> {
    const existing = this.map.get(p);
    if (existing) {
      addReason(existing, reason);
      return;
    }
    if (p === '/' || isLayoutAlias(p)) return;
    let type: PlanEntry['type'];
    if (st.isFile()) type = 'file';
    else if (st.isDirectory()) type = 'dir';
    else if (st.isSymbolicLink()) type = 'symlink';
    else {
      this.warnings.push(`${p}: is a special file (FIFO, socket or device); not archived`);
      return;
    }
    const entry = this.makeEntry(p, type, st, reason, opts);
    if (type === 'symlink') entry.linkTarget = await this.rewriteLink(p, await this.fs.readlink(p));
    await this.addParents(p, opts);
    this.map.set(p, entry);
    this.stats.set(p, st);
  }

  private async addParents(p: string, opts: AddOptions): Promise<void> {
    for (let d = posix.dirname(p); d !== '/'; d = posix.dirname(d)) {
      if (this.map.has(d)) return;
      if (isLayoutAlias(d)) continue;
      const st = await this.fs.lstat(d);
      if (!st || !st.isDirectory()) continue;
      this.map.set(d, this.makeEntry(d, 'dir', st, 'parent directory', { rule: 'parent', package: opts.package }));
    }
  }

  private makeEntry(p: string, type: PlanEntry['type'], st: Stats, reason: string, opts: AddOptions): PlanEntry {
    return {
      path: p, type, size: type === 'file' ? st.size : 0, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
      mtime: Math.floor(st.mtimeMs / 1000), reasons: [reason], rule: opts.rule, ...(opts.package ? { package: opts.package } : {}),
    };
  }

  /**
   * Keeps a link's text unless it runs through a directory symlink, in which case it is
   * rewritten to the canonical path (absolute stays absolute, relative stays relative).
   */
  private async rewriteLink(link: string, text: string): Promise<string> {
    const lexical = posix.normalize(text.startsWith('/') ? text : posix.join(posix.dirname(link), text));
    const lexDir = posix.dirname(lexical);
    const real = await this.fs.resolve(lexDir);
    if (!real.stat || real.path === lexDir) return text;
    const canonical = posix.join(real.path, posix.basename(lexical));
    return text.startsWith('/') ? canonical : posix.relative(posix.dirname(link), canonical) || '.';
  }

  /** Final entries, sorted so that parents precede children; shared inodes become hardlinks. */
  finish(): { entries: PlanEntry[]; totals: PlanTotals } {
    const entries = [...this.map.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const firstByInode = new Map<string, string>();
    for (const e of entries) {
      const st = this.stats.get(e.path);
      if (e.type !== 'file' || !st || st.nlink < 2) continue;
      const key = `${st.dev}:${st.ino}`;
      const first = firstByInode.get(key);
      if (first === undefined) firstByInode.set(key, e.path);
      else {
        e.type = 'hardlink';
        e.linkTarget = first;
        e.size = 0;
      }
    }
    const totals: PlanTotals = { files: 0, symlinks: 0, dirs: 0, hardlinks: 0, bytes: 0 };
    for (const e of entries) {
      if (e.type === 'file') totals.files++;
      else if (e.type === 'symlink') totals.symlinks++;
      else if (e.type === 'dir') totals.dirs++;
      else totals.hardlinks++;
      totals.bytes += e.size;
    }
    return { entries, totals };
  }
}

function addReason(e: PlanEntry, reason: string): void {
  if (!e.reasons.includes(reason) && e.reasons.length < 20) e.reasons.push(reason);
}
