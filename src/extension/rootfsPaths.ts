// Path helpers for a rootfs on the host: symlinks are followed as the rootfs's own programs
// would see them (an absolute link target starts at the rootfs, never at the host's /), and
// nothing ever leaves the rootfs. Only lstat/readlink are used, so FIFOs and devices are
// never opened.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const MAX_LINKS = 40;

/** "/usr/bin/ls" for `<root>/usr/bin/ls`, or undefined when hostPath is not inside root. */
export function toRootPath(root: string, hostPath: string): string | undefined {
  const rel = path.relative(root, hostPath);
  if (rel === '') return '/';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return '/' + rel.split(path.sep).join('/');
}

/** Host path of a rootfs path, without following anything. */
export function toHostPath(root: string, rootPath: string): string {
  return path.join(root, ...rootPath.split('/').filter(Boolean));
}

export function isInside(root: string, hostPath: string): boolean {
  return toRootPath(root, hostPath) !== undefined;
}

export interface Resolved {
  /** Canonical rootfs path ("/usr/lib/x86_64-linux-gnu/libc.so.6"). */
  rootPath: string;
  hostPath: string;
}

/**
 * Follows symlinks in `rootPath` (and in the last component when followLast) inside root.
 * Throws an errno-style error (ENOENT, ELOOP) like the kernel would; a missing last
 * component is allowed when followLast is false.
 */
export async function resolveInRoot(root: string, rootPath: string, followLast = true): Promise<Resolved> {
  let pending = rootPath.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    const host = path.join(root, ...done, part);
    const isLast = pending.length === 0;
    let st;
    try {
      st = await fsp.lstat(host);
    } catch (err) {
      if (isLast && !followLast) { done.push(part); break; }
      throw err;
    }
    if (st.isSymbolicLink() && (!isLast || followLast)) {
      if (++links > MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${rootPath}`), { code: 'ELOOP' });
      const target = await fsp.readlink(host);
      const targetParts = target.split('/').filter(Boolean);
      if (target.startsWith('/')) done.length = 0;
      pending = [...targetParts, ...pending];
      continue;
    }
    if (!isLast && !st.isDirectory()) {
      throw Object.assign(new Error(`not a directory: ${'/' + [...done, part].join('/')}`), { code: 'ENOTDIR' });
    }
    done.push(part);
  }
  const canonical = '/' + done.join('/');
  return { rootPath: canonical, hostPath: toHostPath(root, canonical) };
}
