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

class Run {
  private closureObjects = new Set<string>();
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
    for (const pkg of [...closure].sort()) {
      throwIfAborted(this.ctx.signal);
      this.ctx.onProgress?.({ phase: 'packages', done: i++, total: closure.size, detail: pkg });
      if (level === 'default') await this.addPackage(pkg, `autodeps:default`, (f, elfLike) => selectDefault(f, elfLike, targetPkgs.has(pkg), seeds.has(pkg)));
      else await this.addPackage(pkg, `autodeps:${level}`, () => true);
    }
    if (level === 'default') await this.addGenerated(closure);
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
      const res = await builder.addPath(f, `file of package ${pkg} (${rule})`, { rule, package: pkg });
      if (res?.stat?.isFile() && elfLike) await this.addElfClosure(res.path, pkg);
    }
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

/**
 * The default level's choice for one file of a package in the dependency closure:
 *  - the target's own packages: everything outside the command directories (helper
 *    programs such as /usr/lib/git-core/*, data such as templates);
 *  - every package: non-ELF runtime data (/etc, /usr/share, an interpreter's library
 *    under /usr/lib), but not documentation, headers or desktop integration;
 *  - packages that own a library in the ELF closure: loadable modules in subdirectories
 *    of library directories (gconv, plugin directories), with their ELF closures;
 *  - every package: an interpreter's module tree (Python's lib-dynload);
 *  - never other commands in /usr/bin and friends, nor shared libraries nobody NEEDs.
 */
export function selectDefault(file: string, elfLike: boolean, ownPackage: boolean, closurePackage: boolean): boolean {
  if (NOT_RUNTIME.some((r) => r.test(file))) return false;
  if (PATH_DIRS.test(file)) return false;
  if (ownPackage) return true;
  if (!elfLike) return true;
  // An interpreter's own module tree (Python's lib-dynload) belongs with its data.
  if (INTERPRETER_TREES.test(file)) return true;
  // Plugins only of packages whose libraries the program actually loads: libc's gconv
  // modules, yes; GPU drivers of a package merely depended upon (and their LLVM), no.
  return closurePackage && isModuleDir(posix.dirname(file));
}

const INTERPRETER_TREES = /^\/usr\/lib\/(python3[^/]*|[^/]+-linux-gnu\/perl[^/]*|ruby)\//;

export type { PlanEntry };
