// Autodeps: what is added beyond the ELF closure, by level, from the rootfs's package
// database (read directly, never through dpkg or a chroot).
//
//   none     the targets and their ELF closure
//   tight    + every file of the packages that own those files
//   free     + every file of their transitive Depends/Pre-Depends and installed Recommends
//   clean    free, then the profile's filters (docs, man pages, translations, logs)
//   default  what makes programs *work*, smallest: see selectDefault() below
//
// Every ELF object added at any level brings its own ELF closure, so nothing added can
// fail to load. Each added entry says which package and which rule put it there.
import { promises as fsp, constants as C } from 'node:fs';
import * as path from 'node:path';
import type { Progress } from './archive';
import { ComposeError, throwIfAborted } from './errors';
import { sniff } from './elf';
import { filterEntries, globMatcher, resolveFilters, type FilterCategory } from './filters';
import type { Closure, LoaderEmulator } from './loader';
import { detectPackageDatabase } from './packages/detect';
import type { PackageDatabase } from './packages/database';
import type { PackageUse, PlanEntry, Unresolved } from './plan';
import type { PlanBuilder } from './planBuilder';
import { defaultProfile, loadProfile, type Profile } from './profile';
import type { Rootfs } from './rootfs';

const posix = path.posix;

import type { AutodepsLevel } from './units';
export { AUTODEPS_LEVELS, type AutodepsLevel } from './units';

export interface AutodepsContext {
  fs: Rootfs;
  loader: LoaderEmulator;
  builder: PlanBuilder;
  closures: Closure[];
  level: AutodepsLevel;
  /** Host path of a YAML profile. */
  profile?: string;
  /** mezzotint's "keep this category" flags and --invert, from the CLI. */
  filterFlags?: { named: FilterCategory[]; invert: boolean };
  targets: string[];
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface AutodepsResult {
  unresolved: Unresolved[];
  warnings: string[];
  packages?: PackageUse[];
  profile?: Profile;
}

/** Directories whose programs are other commands, not helpers of the target. */
const PATH_DIRS = /^\/(usr\/(local\/)?)?(s?bin|games)\//;
/** Files no program reads at run time: headers, static/dev files, desktop integration. */
const NOT_RUNTIME = [
  /^\/usr\/include\//, /^\/usr\/share\/(lintian|bug|bash-completion|zsh|fish|menu|applications|icons|pixmaps|metainfo|appdata|gtk-doc|help|pkgconfig|aclocal|cmake)\//,
  /^\/usr\/lib\/([^/]+\/)?(pkgconfig|cmake)\//, /\.(a|la|h|pc)$/,
];

export async function applyAutodeps(ctx: AutodepsContext): Promise<AutodepsResult> {
  const userProfile = ctx.profile ? await loadProfile(ctx.profile) : undefined;
  const profile = userProfile ?? defaultProfile();
  const out: AutodepsResult = { unresolved: [], warnings: [...profile.warnings], profile };
  const fs = ctx.fs;
  const db = await detectPackageDatabase(fs.hostRoot, async (p) => (await fs.resolve(p)).path);
  const run = new Run(ctx, db, out);
  if (!db) {
    if (ctx.level !== 'none') out.warnings.push(`no package database found in the rootfs; autodeps level "${ctx.level}" adds nothing beyond the ELF closure`);
  } else {
    await run.expand(profile);
  }
  // The default profile's filters only apply where the level asks for a trimmed result;
  // a profile the user gave applies at every level.
  if (userProfile || ctx.filterFlags?.named.length || ctx.filterFlags?.invert || ctx.level === 'default' || ctx.level === 'clean') run.filter(profile);
  if (db) out.packages = await run.summarise();
  return out;
}

interface Deferred { pkg: string; file: string; elfLike: boolean; needs: Consumer }

class Run {
  private closureObjects = new Set<string>();
  private imports = new Map<string, Promise<Set<string> | 'unknown'>>();
  /** Consumers found present by addDeferred ("interpreter:perl", "symbol:iconv_open"). */
  private present = new Set<string>();
  constructor(private ctx: AutodepsContext, private db: PackageDatabase | undefined, private out: AutodepsResult) {}

  async expand(profile: Profile): Promise<void> {
    const { builder, level } = this.ctx;
    const db = this.db!;
    const seeds = new Set<string>();
    for (const e of builder.entries()) {
      if (e.type === 'dir') continue;
      for (const o of await db.ownersOf(e.path)) seeds.add(o);
    }
    const targetPkgs = new Set<string>();
    for (const t of this.ctx.closures.map((c) => c.objects[0].real)) for (const o of await db.ownersOf(t)) targetPkgs.add(o);
    for (const add of profile.packages.add) {
      const found = await db.resolveDependency(add);
      if (found.length === 0) this.out.warnings.push(`profile package "${add}" is not installed in the rootfs`);
      found.forEach((p) => seeds.add(p));
    }
    const closure = level === 'tight' || level === 'none' ? seeds : await this.dependencyClosure(seeds);
    for (const rm of profile.packages.remove) for (const p of await db.resolveDependency(rm)) closure.delete(p);
    if (level === 'none') {
      for (const add of profile.packages.add) for (const p of await db.resolveDependency(add)) await this.addPackage(p, 'profile:packages', () => true);
      return;
    }
    let i = 0;
    const deferred: Deferred[] = [];
    for (const pkg of [...closure].sort()) {
      throwIfAborted(this.ctx.signal);
      this.ctx.onProgress?.({ phase: 'packages', done: i++, total: closure.size, detail: pkg });
      if (level === 'default') {
        await this.addPackage(pkg, `autodeps:default`, (file, elfLike) => {
          const choice = selectDefault(file, elfLike, targetPkgs.has(pkg), seeds.has(pkg));
          if (typeof choice !== 'object') return choice;
          deferred.push({ pkg, file, elfLike, needs: choice.needs });
          return false;
        });
      } else await this.addPackage(pkg, `autodeps:${level}`, () => true);
    }
    if (level === 'default') {
      await this.addDeferred(deferred);
      await this.addGenerated(closure);
    }
  }

  /**
   * Files whose only use is through one consumer (an interpreter's library tree, libc's
   * gconv modules), decided once everything else is in, since the consumer may arrive with
   * any package or with a file decided here: repeated until nothing more opens.
   */
  private async addDeferred(deferred: Deferred[]): Promise<void> {
    let rest = deferred;
    for (let changed = true; changed && rest.length;) {
      changed = false;
      const open = new Map<string, string | undefined>();
      const still: Deferred[] = [];
      for (const d of rest) {
        const key = `${d.needs.kind}:${d.needs.name}`;
        if (!open.has(key)) open.set(key, await this.consumerPresent(d.needs));
        const by = open.get(key);
        if (by === undefined) {
          still.push(d);
          continue;
        }
        this.present.add(key);
        throwIfAborted(this.ctx.signal);
        const what = d.needs.kind === 'interpreter' ? `${d.needs.name} is in the archive (${by})` : `${by} imports ${d.needs.name}`;
        await this.addFile(d.pkg, d.file, d.elfLike, 'autodeps:default', `file of package ${d.pkg} (autodeps:default), used because ${what}`);
        changed = true;
      }
      rest = still;
    }
  }

  /** The plan file that makes a consumer present (as shown in reasons), or undefined while there is none. */
  private async consumerPresent(needs: Consumer): Promise<string | undefined> {
    const files = this.ctx.builder.entries().filter((e) => e.type === 'file');
    if (needs.kind === 'interpreter') {
      const objects = INTERPRETERS.find((t) => t.name === needs.name)!.objects;
      return files.find((e) => objects.test(posix.basename(e.path)))?.path;
    }
    for (const e of files) {
      if ((e.mode & 0o111) === 0 && !/\.so(\.[0-9.]+)?$/.test(e.path)) continue;
      let found = this.imports.get(e.path);
      if (!found) {
        found = undefinedSymbols(this.ctx.fs.hostBytes(e.path), WATCHED_SYMBOLS);
        this.imports.set(e.path, found);
      }
      // Unreadable symbols (no section headers): count it as a consumer, to stay on the safe side.
      const names = await found;
      if (names === 'unknown') return `${e.path} (symbols unreadable, so perhaps)`;
      if (names.has(needs.name)) return e.path;
    }
    return undefined;
  }

  /** Transitive Depends/Pre-Depends and installed Recommends; `a | b` by the first installed. */
  private async dependencyClosure(seeds: Set<string>): Promise<Set<string>> {
    const db = this.db!;
    const seen = new Set(seeds);
    const queue = [...seeds];
    while (queue.length) {
      const pkg = queue.shift()!;
      const info = await db.info(pkg);
      if (!info) continue;
      const groups = [...(info.relations?.depends ?? []), ...(info.relations?.recommends ?? [])];
      for (const g of groups) {
        const hit = await db.satisfy(g, info.architecture);
        if (hit && !seen.has(hit)) {
          seen.add(hit);
          queue.push(hit);
        }
      }
    }
    return seen;
  }

  /** Adds the files of a package chosen by `pick`, with the ELF closure of each ELF file. */
  private async addPackage(pkg: string, rule: string, pick: (file: string, elfLike: boolean) => boolean): Promise<void> {
    const { builder, fs } = this.ctx;
    for (const f of await this.db!.filesOf(pkg)) {
      const st = await fs.lstat(f);
      if (!st) continue;
      if (st.isDirectory()) {
        if (rule !== 'autodeps:default' && !builder.has(f)) await builder.addNode(f, st, `directory of package ${pkg}`, { rule, package: pkg });
        continue;
      }
      const elfLike = /\.so(\.[0-9.]+)?$/.test(f) || (st.isFile() && (st.mode & 0o111) !== 0);
      if (!pick(f, elfLike)) continue;
      await this.addFile(pkg, f, elfLike, rule, `file of package ${pkg} (${rule})`);
    }
  }

  private async addFile(pkg: string, f: string, elfLike: boolean, rule: string, reason: string): Promise<void> {
    const res = await this.ctx.builder.addPath(f, reason, { rule, package: pkg });
    if (res?.stat?.isFile() && elfLike) await this.addElfClosure(res.path, pkg);
  }

  /** The ELF closure of an object added by autodeps (a module, a helper program). */
  private async addElfClosure(p: string, pkg: string): Promise<void> {
    if (this.closureObjects.has(p)) return;
    this.closureObjects.add(p);
    const { fs, loader, builder } = this.ctx;
    try {
      if ((await sniff(fs.host(p))).kind !== 'elf') return;
      const c = await loader.closure(p, this.ctx.signal);
      for (const obj of c.objects.slice(1)) {
        if (builder.has(obj.real)) continue;
        const reason = obj.node.via === 'interpreter' ? `interpreter of ${p}` : `NEEDED ${obj.node.name} by ${obj.loader?.path ?? p} (added with package ${pkg})`;
        await builder.addResolved(obj.resolution, reason, { rule: 'elf' });
      }
      // A module with a missing dependency is optional: say so, don't fail the compose.
      for (const u of c.unresolved) this.out.warnings.push(`${u.soname} needed by ${u.neededBy} (added by autodeps) is not in the rootfs`);
    } catch (e) {
      if (e instanceof ComposeError) this.out.warnings.push(e.message);
      else throw e;
    }
  }

  /**
   * Files that packages create at install time and so no package lists: the CA bundle and
   * its hash links in /etc/ssl/certs, gconv-modules.cache. Taken from directories below
   * /etc owned by a package in the closure, and from module directories already added.
   */
  private async addGenerated(pkgs: Set<string>): Promise<void> {
    const { fs, builder } = this.ctx;
    const dirs = new Set<string>();
    for (const pkg of pkgs) {
      for (const f of await this.db!.filesOf(pkg)) {
        if (/^\/etc\/[^/]+\/.+/.test(f + '/') && f.split('/').length >= 3 && (await fs.lstat(f))?.isDirectory()) dirs.add(f);
      }
    }
    for (const e of builder.entries()) if (e.rule === 'autodeps:default' && e.type === 'file' && isModuleDir(posix.dirname(e.path))) dirs.add(posix.dirname(e.path));
    for (const d of dirs) {
      if (d === '/etc') continue;
      for (const name of await fs.list(d)) {
        const p = posix.join(d, name);
        if (builder.has(p)) continue;
        const st = await fs.lstat(p);
        if (!st || st.isDirectory()) continue;
        if ((await this.db!.ownersOf(p)).length > 0) continue;
        // A generated file where only one consumer looks (/etc/perl) follows that consumer.
        const choice = selectDefault(p, false, false, true);
        if (choice === false || (typeof choice === 'object' && !this.present.has(`${choice.needs.kind}:${choice.needs.name}`))) continue;
        await builder.addPath(p, `generated at install time in ${d}`, { rule: 'autodeps:default/generated' });
      }
    }
  }

  filter(profile: Profile): void {
    const { builder } = this.ctx;
    const targets = new Set<string>();
    for (const c of this.ctx.closures) {
      targets.add(c.objects[0].real);
      for (const h of c.objects[0].resolution.hops) targets.add(h.link);
    }
    const result = filterEntries(builder.entries(), {
      filters: this.ctx.filterFlags ? resolveFilters(profile.filters, { ...this.ctx.filterFlags, profileFile: !!this.ctx.profile }) : profile.filters, keep: globMatcher(profile.keep), prune: globMatcher(profile.prune), targets,
    });
    for (const d of result.dropped) builder.remove(d.entry.path);
    if (result.dropped.length) this.out.warnings.push(`${result.dropped.length} entries removed by the profile's filters and prune rules`);
    // keep: globs also *add* matching package files that autodeps did not pick.
  }

  async summarise(): Promise<PackageUse[]> {
    const db = this.db!;
    const use = new Map<string, PackageUse>();
    for (const e of this.ctx.builder.entries()) {
      if (e.type === 'dir') continue;
      const owner = e.package ?? (await db.ownerOf(e.path));
      if (!owner) continue;
      e.package = owner;
      let u = use.get(owner);
      if (!u) {
        u = { name: owner, version: (await db.info(owner))?.version, bytes: 0, files: 0 };
        use.set(owner, u);
      }
      u.bytes += e.size;
      u.files++;
    }
    return [...use.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Subdirectories of library directories: where plugins and loadable modules live. */
function isModuleDir(dir: string): boolean {
  return /^\/usr\/lib\/(x86_64|i386|aarch64|arm|powerpc64le|s390x|riscv64|mips[^/]*|loongarch64)[^/]*-linux-gnu[^/]*\/.+/.test(dir) || /^\/usr\/lib\/python3[^/]*\/lib-dynload$/.test(dir) || /^\/usr\/lib64\/.+/.test(dir);
}

/** What a deferred file waits for: an interpreter in the archive, or an object importing a symbol. */
export type Consumer = { kind: 'interpreter'; name: string } | { kind: 'symbol'; name: string };

/**
 * Interpreters' library trees and configuration (Debian's locations), and the files that
 * show the interpreter itself is in the archive: its program or the library that embeds it. A tree without its
 * interpreter is dead weight: git depends on perl, but the default level never takes
 * /usr/bin/perl (another command), so perl's 30 MiB of modules could serve nothing.
 */
const TRIPLET = '[^/]+-linux-gnu[^/]*';
const INTERPRETERS: { name: string; trees: RegExp; objects: RegExp }[] = [
  { name: 'perl', trees: new RegExp(`^(/etc/perl|/usr/(share/perl5?|lib/perl5?|lib/${TRIPLET}/perl(5|-base)?))/`), objects: /^(perl[0-9.]*|libperl\.so[0-9.]*)$/ },
  { name: 'python', trees: new RegExp(`^(/etc/python[23][^/]*|/usr/(lib/python[23][^/]*|share/python[23]?|lib/${TRIPLET}/python[23][^/]*))/`), objects: /^(python[23][0-9.]*|libpython[23][0-9.]*[a-z]*\.so[0-9.]*)$/ },
  { name: 'ruby', trees: new RegExp(`^/usr/(lib/ruby|lib/${TRIPLET}/ruby|share/ruby[^/]*|share/rubygems-integration)/`), objects: /^(ruby[0-9.]*|libruby[-0-9.]*\.so[0-9.]*)$/ },
  { name: 'tcl', trees: /^\/usr\/(share|lib)\/tcltk\//, objects: /^(tclsh[0-9.]*|libtcl[0-9.]*\.so[0-9.]*)$/ },
  { name: 'lua', trees: new RegExp(`^/usr/(share/lua|lib/${TRIPLET}/lua)/`), objects: /^(lua[0-9.]*|liblua[0-9.]*\.so[0-9.]*)$/ },
];

/**
 * Module directories that their library opens from a single entry point: taken only when
 * an object in the archive imports that symbol. glibc opens gconv modules for iconv_open();
 * the locales a busybox target has (C, C.UTF-8) use only the built-in charsets, so a
 * program that never calls iconv (Python, which has its own codecs) needs none of them.
 */
const MODULE_ENTRY_POINTS: { files: RegExp; symbol: string }[] = [
  { files: new RegExp(`^/usr/lib(64)?/(${TRIPLET}/)?gconv/`), symbol: 'iconv_open' },
];
const WATCHED_SYMBOLS = new Set(MODULE_ENTRY_POINTS.map((m) => m.symbol));

/**
 * The default level's choice for one file of a package in the dependency closure: true
 * (take it), false (leave it), or the consumer it waits for (see Run.addDeferred).
 *  - never headers, static/dev files or desktop integration, nor other commands in
 *    /usr/bin and friends (documentation, man pages and translations are left to the
 *    profile's filters);
 *  - an interpreter's library tree (perl, Python, Ruby, Tcl, Lua), ELF modules included,
 *    from any package: when that interpreter is in the archive;
 *  - a module directory with a known entry point (libc's gconv): when an object in the
 *    archive imports it, and only from the target's packages or those owning a library in
 *    the ELF closure;
 *  - the target's own packages: everything else outside the command directories (helper
 *    programs such as /usr/lib/git-core/*, data such as templates);
 *  - every package: its other non-ELF runtime data (/etc, /usr/share);
 *  - packages that own a library in the ELF closure: loadable modules in subdirectories
 *    of library directories (plugin directories), with their ELF closures;
 *  - never shared libraries nobody NEEDs: GPU drivers of a package merely depended upon
 *    (and their LLVM) stay out.
 */
export function selectDefault(file: string, elfLike: boolean, ownPackage: boolean, closurePackage: boolean): boolean | { needs: Consumer } {
  if (NOT_RUNTIME.some((r) => r.test(file))) return false;
  if (PATH_DIRS.test(file)) return false;
  const interp = INTERPRETERS.find((t) => t.trees.test(file));
  if (interp) return { needs: { kind: 'interpreter', name: interp.name } };
  const entry = MODULE_ENTRY_POINTS.find((m) => m.files.test(file));
  if (entry) return ownPackage || closurePackage ? { needs: { kind: 'symbol', name: entry.symbol } } : false;
  if (ownPackage) return true;
  if (!elfLike) return true;
  return closurePackage && isModuleDir(posix.dirname(file));
}

/** Longest symbol or string table read; real ones are a few MiB at most. */
const MAX_SYMBOL_BYTES = 64 << 20;
const SHT_DYNSYM = 11;

/**
 * Which of `wanted` an ELF object imports (undefined in its .dynsym). A file that is not
 * ELF, or has no .dynsym, imports nothing; an ELF object without readable section headers
 * gives 'unknown'. Every offset and size from the file is checked before it is used.
 */
export async function undefinedSymbols(hostPath: string | Buffer, wanted: Set<string>): Promise<Set<string> | 'unknown'> {
  const found = new Set<string>();
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(hostPath, C.O_RDONLY | C.O_NONBLOCK | C.O_NOCTTY);
  } catch {
    return found;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size < 52) return found;
    const size = st.size;
    const read = async (off: number, len: number): Promise<Buffer> => {
      if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || len > MAX_SYMBOL_BYTES || off + len > size) throw new RangeError('outside the file');
      const b = Buffer.alloc(len);
      for (let done = 0; done < len;) {
        const { bytesRead } = await fh.read(b, done, len - done, off + done);
        if (bytesRead === 0) throw new RangeError('file shrank');
        done += bytesRead;
      }
      return b;
    };
    const eh = await read(0, Math.min(64, size));
    if (eh.readUInt32BE(0) !== 0x7f454c46) return found;
    const is64 = eh[4] === 2, le = eh[5] === 1;
    if ((eh[4] !== 1 && !is64) || (eh[5] !== 1 && eh[5] !== 2) || (is64 && eh.length < 64)) return 'unknown';
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const word = (b: Buffer, o: number) => {
      if (!is64) return u32(b, o);
      const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
    };
    const shoff = word(eh, is64 ? 0x28 : 0x20), shentsize = u16(eh, is64 ? 0x3a : 0x2e), shnum = u16(eh, is64 ? 0x3c : 0x30);
    if (shoff <= 0 || shnum === 0 || shentsize < (is64 ? 64 : 40)) return 'unknown';
    const sh = await read(shoff, shnum * shentsize);
    const section = (i: number) => {
      const o = i * shentsize;
      return is64
        ? { type: u32(sh, o + 4), offset: word(sh, o + 0x18), size: word(sh, o + 0x20), link: u32(sh, o + 0x28) }
        : { type: u32(sh, o + 4), offset: u32(sh, o + 0x10), size: u32(sh, o + 0x14), link: u32(sh, o + 0x18) };
    };
    let dynsym: ReturnType<typeof section> | undefined;
    for (let i = 0; i < shnum && !dynsym; i++) if (section(i).type === SHT_DYNSYM) dynsym = section(i);
    if (!dynsym) return found;
    if (dynsym.link >= shnum) return 'unknown';
    const strSec = section(dynsym.link);
    const strtab = await read(strSec.offset, strSec.size);
    const names = [...wanted].map((w) => Buffer.from(w + '\0')).filter((n) => strtab.includes(n));
    if (names.length === 0) return found;
    const syms = await read(dynsym.offset, dynsym.size);
    const ent = is64 ? 24 : 16;
    for (let o = 0; o + ent <= syms.length; o += ent) {
      const name = u32(syms, o);
      const shndx = u16(syms, o + (is64 ? 6 : 14));
      if (shndx !== 0 || name === 0) continue;
      for (const n of names) if (name + n.length <= strtab.length && strtab.compare(n, 0, n.length, name, name + n.length) === 0) found.add(n.subarray(0, -1).toString());
    }
    return found;
  } catch (e) {
    if (e instanceof RangeError) return 'unknown';
    throw e;
  } finally {
    await fh.close();
  }
}

export type { PlanEntry };
