// Confinement: every path the engine touches is resolved here, component by component,
// as the kernel would inside a chroot. Absolute link targets are re-rooted, `..` stops at
// the root, and no host path outside the rootfs is ever produced. Nothing is executed.
import { isUtf8 } from 'node:buffer';
import { lstatSync, promises as fsp, readlinkSync, Stats } from 'node:fs';
import * as path from 'node:path';
import { ComposeError } from './errors';
import type { SymlinkHop } from './plan';

const posix = path.posix;
// File names are bytes; the engine carries them as strings. Names that are valid UTF-8 are
// plain strings; each byte that is not part of valid UTF-8 becomes a lone surrogate
// U+DC80..U+DCFF (Python's "surrogateescape"), which no valid name produces, so a name
// read from the disk or an ELF string goes back to the disk and into the archive
// byte for byte. Every fs call on a rootfs path goes through encodeName.

/** Bytes of a file name (or link text, or ELF string) as an engine string. */
export function decodeName(b: Buffer): string {
  if (isUtf8(b)) return b.toString('utf8');
  let out = '';
  for (let i = 0; i < b.length;) {
    const n = utf8Sequence(b, i);
    if (n > 0) {
      out += b.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + b[i]);
      i++;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence at b[i], or 0 (overlongs, surrogates and > U+10FFFF are invalid). */
function utf8Sequence(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  const d = b[i + 1];
  if ((c === 0xe0 && d < 0xa0) || (c === 0xed && d >= 0xa0) || (c === 0xf0 && d < 0x90) || (c === 0xf4 && d >= 0x90)) return 0;
  return n;
}

/** The bytes of an engine string (inverse of decodeName). */
export function encodeName(s: string): Buffer {
  if (!/[\udc80-\udcff]/.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++; // a surrogate pair: an ordinary character
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      parts.push(Buffer.from(s.slice(run, i), 'utf8'), Buffer.from([c - 0xdc00]));
      run = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(run), 'utf8'));
  return Buffer.concat(parts);
}

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
      real = decodeName(await fsp.realpath(encodeName(hostDir), { encoding: 'buffer' }));
    } catch {
      throw new ComposeError('input', hostDir, 'root filesystem directory does not exist');
    }
    const st = await fsp.stat(encodeName(real)).catch((e: NodeJS.ErrnoException) => {
      throw new ComposeError('input', hostDir, `cannot open the root filesystem (${e.code ?? e})`);
    });
    if (!st.isDirectory()) throw new ComposeError('input', hostDir, 'root filesystem is not a directory');
    return new Rootfs(real);
  }

  /** Host path of a canonical rootfs path. Only ever called with normalised absolute paths. */
  host(p: string): string {
    const n = posix.normalize('/' + p);
    return n === '/' ? this.hostRoot : this.hostRoot + n;
  }

  /** Host path of a rootfs path as bytes, for fs calls. */
  hostBytes(p: string): Buffer {
    return encodeName(this.host(p));
  }

  /** lstat inside the rootfs, cached; undefined when missing. Other errors propagate. */
  lstat(p: string): Promise<Stats | undefined> {
    let s = this.lstatCache.get(p);
    if (!s) {
      // Synchronous on purpose: an lstat answers from the kernel's cache in microseconds,
      // and a closure needs thousands of them in sequence; through the thread pool each
      // would cost a round trip, and the run would mostly wait (measured: 2x slower).
      try {
        s = Promise.resolve(lstatSync(this.hostBytes(p)));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        // A name longer than NAME_MAX cannot exist (and ld.so cannot open it either).
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'ENAMETOOLONG') s = Promise.resolve(undefined);
        else s = Promise.reject(new ComposeError('input', p, e.code === 'EACCES' ? 'permission denied' : `cannot stat (${e.code})`));
        s.catch(() => undefined);
      }
      this.lstatCache.set(p, s);
    }
    return s;
  }

  readlink(p: string): Promise<string> {
    let s = this.linkCache.get(p);
    if (!s) {
      // Synchronous for the same reason as lstat.
      try {
        s = Promise.resolve(decodeName(readlinkSync(this.hostBytes(p), { encoding: 'buffer' })));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        s = Promise.reject(new ComposeError('input', p, e.code === 'EACCES' ? 'permission denied' : `cannot read symbolic link (${e.code ?? e})`));
        s.catch(() => undefined);
      }
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
    const stat = cur === '/' ? await fsp.lstat(encodeName(this.hostRoot)) : await this.lstat(cur);
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
      return (await fsp.readdir(this.hostBytes(dir), { encoding: 'buffer' })).map(decodeName).sort();
    } catch {
      return [];
    }
  }
}

function split(p: string): string[] {
  return p.split('/').filter((c) => c.length > 0);
}
