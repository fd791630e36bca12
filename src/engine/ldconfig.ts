// The loader's fixed knowledge of a rootfs: the ld.so.conf directory list (what
// ld.so.cache is built from), the default directories, and $LIB/$PLATFORM. We read the
// conf rather than ld.so.cache: the conf is the source of truth, a stale or absent
// cache (as in the busybox target) must not change the answer, and cache formats vary.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { Rootfs } from './rootfs';
import { multiarchTriplets, platformString } from './elfMachines';

const posix = path.posix;
const MAX_INCLUDE_DEPTH = 16;

export interface LdConf {
  /** Directories in the order ldconfig would index them. */
  dirs: string[];
  /** Problems met while reading (unreadable includes, loops). */
  warnings: string[];
}

export async function readLdSoConf(fs: Rootfs, file = '/etc/ld.so.conf'): Promise<LdConf> {
  const out: LdConf = { dirs: [], warnings: [] };
  const seenFiles = new Set<string>();
  await readConf(fs, file, 0, seenFiles, out);
  out.dirs = [...new Set(out.dirs)];
  return out;
}

async function readConf(fs: Rootfs, file: string, depth: number, seen: Set<string>, out: LdConf): Promise<void> {
  const r = await fs.resolve(file);
  if (!r.stat) return;
  if (seen.has(r.path)) {
    out.warnings.push(`${file}: include loop, skipped`);
    return;
  }
  if (depth > MAX_INCLUDE_DEPTH) {
    out.warnings.push(`${file}: includes nested more than ${MAX_INCLUDE_DEPTH} deep, skipped`);
    return;
  }
  if (!r.stat.isFile()) {
    out.warnings.push(`${file}: not a regular file, skipped`);
    return;
  }
  seen.add(r.path);
  let text: string;
  try {
    
    text = await readFile(fs.host(r.path), 'utf8');
  } catch (e) {
    out.warnings.push(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
    return;
  }
  // Relative includes are taken relative to the directory of the file that holds them.
  const base = posix.dirname(file);
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const inc = /^include\s+(.*)$/.exec(line);
    if (inc) {
      for (const pat of inc[1].split(/\s+/).filter(Boolean)) {
        const abs = pat.startsWith('/') ? pat : posix.join(base, pat);
        for (const f of await expandGlob(fs, abs)) await readConf(fs, f, depth + 1, seen, out);
      }
      continue;
    }
    if (/^hwcap\s/.test(line)) continue;
    // ldconfig accepts several directories on a line, separated by blanks, ':' or ','.
    for (const d of line.split(/[\s:,]+/).filter(Boolean)) {
      const dir = d.replace(/=.*$/, '');
      if (dir.startsWith('/')) out.dirs.push(posix.normalize(dir).replace(/(.)\/$/, '$1'));
    }
  }
}

/** Expands a glob inside the rootfs, component by component, in sorted order. */
export async function expandGlob(fs: Rootfs, pattern: string): Promise<string[]> {
  const comps = pattern.split('/').filter(Boolean);
  let current = ['/'];
  for (const comp of comps) {
    const next: string[] = [];
    const isGlob = picomatch.scan(comp).isGlob;
    for (const dir of current) {
      if (!isGlob) {
        next.push(posix.join(dir, comp));
        continue;
      }
      const match = picomatch(comp, { dot: false });
      const real = await fs.resolve(dir);
      for (const name of await fs.list(real.path)) if (match(name)) next.push(posix.join(dir, name));
    }
    current = next;
  }
  return current.sort();
}

export interface LoaderLayout {
  /** Default directories searched after the cache, for this ELF class and machine. */
  defaultDirs: string[];
  lib: string;
  platform: string;
}

/**
 * Debian's glibc searches the multiarch directories, then /lib and /usr/lib; upstream
 * builds for 64-bit targets search /lib64 and /usr/lib64 instead. The rootfs tells
 * which flavour it has by having the multiarch directory.
 */
export async function loaderLayout(fs: Rootfs, machine: number, elfClass: 32 | 64): Promise<LoaderLayout> {
  const platform = platformString(machine);
  for (const t of multiarchTriplets(machine, elfClass)) {
    const a = await fs.resolve(`/usr/lib/${t}`);
    const b = await fs.resolve(`/lib/${t}`);
    if (a.stat?.isDirectory() || b.stat?.isDirectory()) {
      return { defaultDirs: [`/lib/${t}`, `/usr/lib/${t}`, '/lib', '/usr/lib'], lib: `lib/${t}`, platform };
    }
  }
  if (elfClass === 32 && (await fs.resolve('/usr/lib32')).stat?.isDirectory()) {
    // Debian's lib32 compatibility packages (libc6-i386) on a 64-bit system.
    return { defaultDirs: ['/lib32', '/usr/lib32'], lib: 'lib32', platform };
  }
  if (elfClass === 64) return { defaultDirs: ['/lib64', '/usr/lib64'], lib: 'lib64', platform };
  return { defaultDirs: ['/lib', '/usr/lib'], lib: 'lib', platform };
}

/** Expands $ORIGIN, $LIB and $PLATFORM (both spellings) in one RPATH/RUNPATH element. */
export function expandTokens(dir: string, origin: string, layout: LoaderLayout): string {
  return dir
    .replace(/\$(\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/g, origin)
    .replace(/\$(\{LIB\}|LIB(?![A-Za-z0-9_]))/g, layout.lib)
    .replace(/\$(\{PLATFORM\}|PLATFORM(?![A-Za-z0-9_]))/g, layout.platform);
}
