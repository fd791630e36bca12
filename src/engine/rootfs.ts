// Confinement: every path the engine touches is resolved here, component by component,
// as the kernel would inside a chroot. Absolute link targets are re-rooted, `..` stops at
// the root, and no host path outside the rootfs is ever produced. Nothing is executed.
import { promises as fsp, Stats } from 'node:fs';
import * as path from 'node:path';
import { ComposeError } from './errors';
import type { SymlinkHop } from './plan';

const posix = path.posix;
/** Same limit as Linux (MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

export interface Resolution {
  /** Canonical rootfs path: no component is a symlink (the last one too when followed). */
  path: string;
  /** Symlinks followed, in order. */
  hops: SymlinkHop[];
  /** lstat of the final path, undefined when it does not exist. */
  stat?: Stats;
  /**
   * True when confinement changed the answer: a `..` stopped at the root, or an absolute
   * link was re-rooted. The host itself would have resolved the path somewhere else.
   */
  confined?: boolean;
}

export class Rootfs {
  private lstatCache = new Map<string, Promise<Stats | undefined>>();
  private linkCache = new Map<string, Promise<string>>();

  private constructor(readonly hostRoot: string) {}

  /** Opens a rootfs at a host directory; the directory itself is canonicalised by the host. */
  static async open(hostDir: string): Promise<Rootfs> {
    let real: string;
    try {
      real = await fsp.realpath(hostDir);
    } catch {
      throw new ComposeError('input', hostDir, 'root filesystem directory does not exist');
    }
    const st = await fsp.stat(real);
    if (!st.isDirectory()) throw new ComposeError('input', hostDir, 'root filesystem is not a directory');
    return new Rootfs(real);
  }

  /** Host path of a canonical rootfs path. Only ever called with normalised absolute paths. */
  host(p: string): string {
    const n = posix.normalize('/' + p);
    return n === '/' ? this.hostRoot : this.hostRoot + n;
  }

  /** lstat inside the rootfs, cached; undefined when missing. Other errors propagate. */
  lstat(p: string): Promise<Stats | undefined> {
    let s = this.lstatCache.get(p);
    if (!s) {
      s = fsp.lstat(this.host(p)).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
        throw new ComposeError('input', p, e.code === 'EACCES' ? 'permission denied' : `cannot stat (${e.code})`);
      });
      this.lstatCache.set(p, s);
    }
    return s;
  }

  readlink(p: string): Promise<string> {
    let s = this.linkCache.get(p);
    if (!s) {
      s = fsp.readlink(this.host(p));
      this.linkCache.set(p, s);
    }
    return s;
  }

  /**
   * Resolves a rootfs path. With `followFinal` false, a symlink in the last component is
   * returned as itself (its parents are still resolved).
   */
  async resolve(p: string, followFinal = true): Promise<Resolution> {
    const hops: SymlinkHop[] = [];
    let cur = '/';
    let rest = split(p);
    let confined = false;
    while (rest.length > 0) {
      const comp = rest.shift()!;
      if (comp === '.' || comp === '') continue;
      if (comp === '..') {
        if (cur === '/' && hops.length > 0) confined = true;
        cur = posix.dirname(cur);
        continue;
      }
      const next = cur === '/' ? '/' + comp : cur + '/' + comp;
      const st = await this.lstat(next);
      if (!st) return { path: posix.join(next, ...rest), hops, stat: undefined, confined };
      if (st.isSymbolicLink() && (rest.length > 0 || followFinal)) {
        if (hops.length >= MAX_SYMLINK_HOPS) {
          throw new ComposeError('input', p, `too many levels of symbolic links (more than ${MAX_SYMLINK_HOPS}, a loop?) at ${next}`);
        }
        const text = await this.readlink(next);
        hops.push({ link: next, target: text, kind: rest.length > 0 ? 'dir' : 'file' });
        // Absolute targets start again from the rootfs's root, never the host's.
        if (text.startsWith('/')) {
          cur = '/';
          confined = true;
        }
        rest = [...split(text), ...rest];
        continue;
      }
      if (rest.length > 0 && !st.isDirectory()) return { path: posix.join(next, ...rest), hops, stat: undefined, confined };
      cur = next;
    }
    const stat = cur === '/' ? await fsp.lstat(this.hostRoot) : await this.lstat(cur);
    // A final link that names a directory is still a directory link for the archive's rules.
    const last = hops[hops.length - 1];
    if (last && last.kind === 'file' && stat?.isDirectory()) last.kind = 'dir';
    return { path: cur, hops, stat, confined };
  }

  /** Drops what is cached about a path (after the engine itself created it). */
  forget(p: string): void {
    this.lstatCache.delete(p);
    this.linkCache.delete(p);
  }

  /** Canonical form of a rootfs path's parent directory, keeping the last component as is. */
  async canonicalParent(p: string): Promise<string> {
    const n = posix.normalize('/' + p);
    if (n === '/') return '/';
    const parent = await this.resolve(posix.dirname(n));
    return posix.join(parent.path, posix.basename(n));
  }

  /** Lists a directory inside the rootfs (names only), sorted; [] when missing or unreadable. */
  async list(dir: string): Promise<string[]> {
    try {
      return (await fsp.readdir(this.host(dir))).sort();
    } catch {
      return [];
    }
  }
}

function split(p: string): string[] {
  return p.split('/').filter((c) => c.length > 0);
}
