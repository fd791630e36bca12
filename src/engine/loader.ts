// Emulation of glibc's ld.so search (2.36), confined to a rootfs. See
// ../shared/reference/glibc-loader-facts.md for the measured behaviour it follows:
// breadth-first loading, RPATH chain only without RUNPATH, RUNPATH direct-only,
// ld.so.conf before the default directories, NODEFLIB, $ORIGIN = where found.
import * as path from 'node:path';
import { describe, readElf, type ElfInfo, DF_1_NODEFLIB } from './elf';
import { ComposeError, ElfError, throwIfAborted } from './errors';
import { expandTokens, loaderLayout, type LdConf, type LoaderLayout } from './ldconfig';
import type { DepNode, FoundVia, Unresolved } from './plan';
import type { Resolution, Rootfs } from './rootfs';

const posix = path.posix;

export interface LoadedObject {
  /** Rootfs path it was found at (symlinks not resolved). */
  path: string;
  /** Canonical path of the file. */
  real: string;
  resolution: Resolution;
  elf: ElfInfo;
  /** $ORIGIN for this object's RPATH/RUNPATH. */
  origin: string;
  /** The object whose NEEDED first caused this one to load (glibc's l_loader). */
  loader?: LoadedObject;
  /** Names it answers to: the names it was requested by, and its SONAME. */
  names: Set<string>;
  node: DepNode;
}

export interface Closure {
  target: string;
  objects: LoadedObject[];
  tree: DepNode;
  unresolved: Unresolved[];
  warnings: string[];
}

interface SearchDir { dir: string; via: FoundVia }

/** Parsed-ELF cache shared by every closure computed over one rootfs. */
export class ElfCache {
  private cache = new Map<string, Promise<ElfInfo>>();
  constructor(private fs: Rootfs) {}
  get(canonical: string): Promise<ElfInfo> {
    let p = this.cache.get(canonical);
    if (!p) {
      p = readElf(this.fs.host(canonical), canonical);
      this.cache.set(canonical, p);
    }
    return p;
  }
}

export class LoaderEmulator {
  private layouts = new Map<string, Promise<LoaderLayout>>();

  constructor(private fs: Rootfs, private conf: LdConf, private elves: ElfCache) {}

  private layout(elf: ElfInfo): Promise<LoaderLayout> {
    const key = `${elf.machine}/${elf.class}`;
    let l = this.layouts.get(key);
    if (!l) {
      l = loaderLayout(this.fs, elf.machine, elf.class);
      this.layouts.set(key, l);
    }
    return l;
  }

  /**
   * Loads one ELF executable (or library) as ld.so would, breadth first. `target` is a
   * rootfs path; it must exist and be ELF (callers deal with scripts first).
   */
  async closure(target: string, signal?: AbortSignal): Promise<Closure> {
    const res = await this.fs.resolve(target);
    if (!res.stat) throw new ComposeError('input', target, 'does not exist in the root filesystem');
    const elf = await this.elves.get(res.path);
    // The program's own $ORIGIN is its symlink-resolved directory, as in a real run.
    const root: LoadedObject = {
      path: target, real: res.path, resolution: res, elf, origin: posix.dirname(res.path), names: new Set([target]),
      node: { name: target, path: target, realPath: res.path, via: 'target', chain: res.hops, needed: [], description: describe(elf) },
    };
    const out: Closure = { target, objects: [root], tree: root.node, unresolved: [], warnings: [] };
    if (elf.interp) await this.loadInterpreter(root, out);
    for (let i = 0; i < out.objects.length; i++) {
      throwIfAborted(signal);
      const obj = out.objects[i];
      if (obj.node.via === 'interpreter') continue; // ld.so has no NEEDED of its own to follow
      this.prefetch(obj);
      for (const name of obj.elf.needed) await this.need(name, obj, out);
    }
    return out;
  }

  private async loadInterpreter(exe: LoadedObject, out: Closure): Promise<void> {
    const interp = exe.elf.interp!;
    const res = await this.fs.resolve(interp);
    const node: DepNode = { name: interp, via: 'interpreter', chain: res.hops, needed: [] };
    exe.node.needed.push(node);
    if (!res.stat || !res.stat.isFile()) {
      node.searched = [interp];
      out.unresolved.push({ soname: interp, neededBy: exe.path, searched: [interp] });
      return;
    }
    const elf = await this.elves.get(res.path);
    node.path = interp;
    node.realPath = res.path;
    node.description = describe(elf);
    const obj: LoadedObject = {
      path: interp, real: res.path, resolution: res, elf, origin: posix.dirname(interp), loader: exe,
      names: new Set([interp, ...(elf.soname ? [elf.soname] : [])]), node,
    };
    out.objects.push(obj);
  }

  /**
   * Starts reading, all at once, the ELF headers of the files the object's NEEDED entries
   * will most likely resolve to. The exact search that follows runs in order, as ld.so
   * does, and finds them in the cache; without this it waits on one read at a time.
   */
  private prefetch(obj: LoadedObject): void {
    const first = async (name: string, dirs: SearchDir[]) => {
      for (const { dir } of dirs) {
        const r = await this.fs.resolve(dir.endsWith('/') ? dir + name : `${dir}/${name}`);
        if (!r.stat) continue;
        // Only the first existing candidate; errors surface in the real search.
        if (r.stat.isFile()) this.elves.get(r.path).catch(() => undefined);
        return;
      }
    };
    void this.searchDirs(obj).then((dirs) => {
      for (const name of obj.elf.needed) if (!name.includes('/')) first(name, dirs).catch(() => undefined);
    }).catch(() => undefined);
  }

  private async need(name: string, requester: LoadedObject, out: Closure): Promise<void> {
    // Already loaded under this name or SONAME: reused without any search.
    const loaded = out.objects.find((o) => o.names.has(name) || o.elf.soname === name);
    if (loaded) {
      loaded.names.add(name);
      requester.node.needed.push({ name, path: loaded.path, realPath: loaded.real, via: 'loaded', chain: loaded.resolution.hops, needed: [], repeated: true, description: loaded.node.description });
      return;
    }
    const searched: string[] = [];
    const found = await this.search(name, requester, searched, out);
    if (!found) {
      requester.node.needed.push({ name, via: 'default', chain: [], searched, needed: [] });
      out.unresolved.push({ soname: name, neededBy: requester.path, searched });
      return;
    }
    // The same file under another name (glibc compares device and inode) is one object.
    const same = out.objects.find((o) => o.real === found.res.path);
    if (same) {
      same.names.add(name);
      requester.node.needed.push({ name, path: found.path, realPath: same.real, via: found.via, dir: found.dir, chain: found.res.hops, needed: [], repeated: true, description: same.node.description });
      return;
    }
    const node: DepNode = { name, path: found.path, realPath: found.res.path, via: found.via, dir: found.dir, chain: found.res.hops, needed: [], description: describe(found.elf) };
    requester.node.needed.push(node);
    out.objects.push({
      path: found.path, real: found.res.path, resolution: found.res, elf: found.elf,
      origin: posix.dirname(found.path), loader: requester,
      names: new Set([name, ...(found.elf.soname ? [found.elf.soname] : [])]), node,
    });
  }

  private async search(name: string, req: LoadedObject, searched: string[], out: Closure) {
    if (name.includes('/')) {
      // A NEEDED with a slash is a path; a relative one is taken from the working directory (/).
      // Not normalised: `..` must be applied after following links, which resolve() does.
      const p = name.startsWith('/') ? name : '/' + name;
      searched.push(p);
      const r = await this.candidate(p, req, out);
      return r && r !== 'fatal' ? { ...r, via: 'path' as FoundVia, dir: posix.dirname(p) } : undefined;
    }
    for (const { dir, via } of await this.searchDirs(req)) {
      searched.push(dir);
      const p = dir.endsWith('/') ? dir + name : `${dir}/${name}`;
      const r = await this.candidate(p, req, out);
      if (r === 'fatal') return undefined;
      if (r) return { ...r, via, dir };
    }
    return undefined;
  }

  /** The ordered directory list ld.so uses for `req`'s own NEEDED entries. */
  private async searchDirs(req: LoadedObject): Promise<SearchDir[]> {
    const layout = await this.layout(req.elf);
    const dirs: SearchDir[] = [];
    const add = (list: string | undefined, origin: string, via: FoundVia) => {
      if (list === undefined) return;
      for (const el of list.split(':')) {
        const d = expandTokens(el === '' ? '.' : el, origin, layout);
        // Kept as written: "$ORIGIN/../lib" through a directory symlink must take `..`
        // from the link's target, as the kernel does, not from the string.
        dirs.push({ dir: d.startsWith('/') ? d : '/' + d, via });
      }
    };
    if (req.elf.runpath === undefined) {
      // RPATH of the requester, then of each loader up the chain (the executable last).
      // An object that has RUNPATH contributes no RPATH (glibc drops DT_RPATH then).
      for (let l: LoadedObject | undefined = req; l; l = l.loader) {
        if (l.elf.runpath === undefined) add(l.elf.rpath, l.origin, 'rpath');
      }
    }
    add(req.elf.runpath, req.origin, 'runpath');
    const nodeflib = (req.elf.flags1 & DF_1_NODEFLIB) !== 0;
    // Under NODEFLIB glibc still consults the cache but drops any hit whose path starts
    // with a default directory (a prefix test, so /usr/lib/foo/ is dropped too).
    const inDefault = (d: string) => layout.defaultDirs.some((s) => (d + '/').startsWith(s + '/'));
    for (const d of this.conf.dirs) {
      if (layout.defaultDirs.includes(d) || (nodeflib && inDefault(d))) continue;
      dirs.push({ dir: d, via: 'ld.so.conf' });
    }
    if (!nodeflib) for (const d of layout.defaultDirs) dirs.push({ dir: d, via: 'default' });
    return dirs;
  }

  /** Checks one candidate file: undefined to go on searching, 'fatal' when ld.so would stop. */
  private async candidate(p: string, req: LoadedObject, out: Closure) {
    let res: Resolution;
    try {
      res = await this.fs.resolve(p);
    } catch (e) {
      // A symlink loop or an unreadable directory: open() fails there and glibc goes on
      // to the next directory, so the search does too (with the reason kept).
      if (e instanceof ComposeError) {
        out.warnings.push(`${p}: ${e.message.replace(/^[^:]*: /, '')}; skipped`);
        return undefined;
      }
      throw e;
    }
    if (!res.stat) return undefined;
    if (res.stat.isDirectory()) return undefined;
    if (!res.stat.isFile()) {
      out.warnings.push(`${p}: is a special file (FIFO, socket or device) where a library was expected; not opened`);
      return undefined;
    }
    let elf: ElfInfo;
    try {
      elf = await this.elves.get(res.path);
    } catch (e) {
      if (e instanceof ElfError && /permission denied|cannot open/.test(e.message)) {
        // An unreadable file fails open(); glibc then tries the next directory.
        out.warnings.push(`${p}: ${e.message.replace(/^[^:]*: /, '')}; skipped`);
        return undefined;
      }
      if (e instanceof ElfError) {
        // glibc treats a candidate that is not ELF as fatal ("invalid ELF header").
        out.warnings.push(`${p}: ${e.message.replace(/^[^:]*: /, '')}; ld.so stops searching for ${posix.basename(p)} here`);
        return 'fatal' as const;
      }
      throw e;
    }
    if (elf.class !== req.elf.class || elf.machine !== req.elf.machine || elf.endian !== req.elf.endian) return undefined;
    return { path: p, res, elf };
  }
}
