// Reads one directory of a rootfs for display: type, size, symlink target (resolved inside
// the rootfs) and an ELF description. Special files are only lstat'ed, never opened.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { describeElf } from '../engine/index';
import { type Resolved, resolveInRoot } from './rootfsPaths';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';

export interface FsEntry {
  name: string;
  /** Path inside the rootfs as navigated (may go through symlinked directories). */
  rootPath: string;
  /** Host path as navigated. */
  hostPath: string;
  kind: EntryKind;
  size: number;
  /** For symlinks: the link text. */
  linkTarget?: string;
  /** For symlinks: where it leads inside the rootfs, and what is there. */
  resolved?: Resolved;
  resolvedKind?: EntryKind;
  /** ELF description ("ELF 64-bit x86-64 executable"), for files and links to files. */
  elf?: string;
  /** Why the entry (or its link target) could not be read. */
  problem?: string;
}

function kindOf(st: import('node:fs').Stats): EntryKind {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'unknown';
}

export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOENT': return 'missing';
    case 'ELOOP': return 'symlink loop';
    case 'ENOTDIR': return 'not a directory';
    default: return e?.message ?? String(err);
  }
}

/** Whether the entry behaves as a folder (a directory or a link to one). */
export function isFolderLike(e: FsEntry): boolean {
  return e.kind === 'dir' || (e.kind === 'symlink' && e.resolvedKind === 'dir');
}

/** Runs fn over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function describeSafely(hostPath: string): Promise<{ elf?: string; problem?: string }> {
  try {
    return { elf: await describeElf(hostPath) };
  } catch (err) {
    return { problem: errnoText(err) };
  }
}

export async function readEntry(root: string, parentRootPath: string, parentHost: string, name: string): Promise<FsEntry> {
  const rootPath = (parentRootPath === '/' ? '' : parentRootPath) + '/' + name;
  const hostPath = path.join(parentHost, name);
  const entry: FsEntry = { name, rootPath, hostPath, kind: 'unknown', size: 0 };
  let st: import('node:fs').Stats;
  try {
    st = await fsp.lstat(hostPath);
  } catch (err) {
    entry.problem = errnoText(err);
    return entry;
  }
  entry.kind = kindOf(st);
  entry.size = st.isFile() ? st.size : 0;
  if (entry.kind === 'file') {
    Object.assign(entry, await describeSafely(hostPath));
  } else if (entry.kind === 'symlink') {
    try {
      entry.linkTarget = await fsp.readlink(hostPath);
      entry.resolved = await resolveInRoot(root, rootPath);
      const target = await fsp.lstat(entry.resolved.hostPath);
      entry.resolvedKind = kindOf(target);
      if (target.isFile()) {
        entry.size = target.size;
        Object.assign(entry, await describeSafely(entry.resolved.hostPath));
      }
    } catch (err) {
      entry.problem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'dangling' : errnoText(err);
    }
  }
  return entry;
}

export interface Listing { entries: FsEntry[]; problem?: string }

/**
 * Lists a directory of the rootfs. `dirRootPath` is the path as navigated; the directory is
 * read where it resolves to inside the rootfs. Folders first, then by name.
 */
export async function listDirectory(root: string, dirRootPath: string): Promise<Listing> {
  let dirHost: string;
  let names: string[];
  try {
    dirHost = (await resolveInRoot(root, dirRootPath)).hostPath;
    names = await fsp.readdir(dirHost);
  } catch (err) {
    return { entries: [], problem: errnoText(err) };
  }
  const entries = await mapLimit(names, 48, n => readEntry(root, dirRootPath, dirHost, n));
  entries.sort((a, b) => {
    const fa = isFolderLike(a) ? 0 : 1;
    const fb = isFolderLike(b) ? 0 : 1;
    if (fa !== fb) return fa - fb;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return { entries };
}
