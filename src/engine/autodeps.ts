// Autodeps: what is added beyond the ELF closure, by level, from the rootfs's package
// database (read directly, never through dpkg or a chroot).
//
//   none     the targets and their ELF closure
//   tight    + every file of the packages that own those files
//   free     + every file of their transitive Depends/Pre-Depends and installed Recommends
//   clean    free, then the profile's filters (docs, man pages, translations, logs)
//   default  what makes programs *work*, smallest: see selectDefault() in defaultRules.ts
//
// Every ELF object added at any level brings its own ELF closure, so nothing added can
// fail to load. Each added entry says which package and which rule put it there.
import * as path from 'node:path';
import type { Progress } from './archive';
import { ComposeError, throwIfAborted } from './errors';
import { BULKY_OPTIONAL_DATA, PATH_DIRS, INTERPRETERS, WATCHED_SYMBOLS, isModuleDir, libraryStems, moduleRoot, opensModulesBy, scriptInterpreter, selectDefault, type Consumer } from './defaultRules';
import { sniff } from './elf';
import { scriptProgram } from './scripts';
import { undefinedSymbols } from './elfSymbols';
import { filterEntries, globMatcher, judge, resolveFilters, type FilterCategory, type FilterPolicy, type PathMatcher } from './filters';
import type { Closure, LoaderEmulator } from './loader';
import { detectPackageDatabase } from './packages/detect';
import type { PackageDatabase } from './packages/database';
import type { PackageUse, Unresolved } from './plan';
import { addGeneratedFiles } from './generatedFiles';
import { dependencyClosure, recommendedOnly, summarisePackages } from './packageClosure';
import { isLayoutAlias, type PlanBuilder } from './planBuilder';
import { dropDanglingLinks, linkInPlan } from './planLinks';
import { defaultProfile, type Profile } from './profile';
import type { Rootfs } from './rootfs';
import { addKeptFiles } from './profileKeep';

import { formatBytes, type AutodepsLevel } from './units';
export { AUTODEPS_LEVELS, type AutodepsLevel } from './units';

const posix = path.posix;

/** A shared object's name (libc.so.6, pam_unix.so, ld-linux-x86-64.so.2): ELF even when not executable. */
const SHARED_OBJECT = /\.so(\.[0-9.]+)?$/;

export interface AutodepsContext {
  fs: Rootfs;
  loader: LoaderEmulator;
  builder: PlanBuilder;
  closures: Closure[];
  level: AutodepsLevel;
  /** The user's profile, already read (compose.ts reads it once); undefined for the default. */
  profile?: Profile;
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
  /** Entries the profile's filters and prune rules removed. */
  filtered?: number;
}

export async function applyAutodeps(ctx: AutodepsContext): Promise<AutodepsResult> {
  const userProfile = ctx.profile;
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
  // Archive paths first, so that keep and prune globs match the paths the dry run shows too.
  if (db?.listedPath) await run.placeListed();
  // The default profile's filters only apply where the level asks for a trimmed result;
  // a profile the user gave applies at every level.
  if (userProfile || ctx.filterFlags?.named.length || ctx.filterFlags?.invert || ctx.level === 'default' || ctx.level === 'clean') run.filter(profile);
  if (profile.keep.length) await run.addKept(profile.keep);
  if (db && ctx.level === 'default') await run.dropDanglingLinks();
  if (db?.listedPath) {
    await run.placeListed(); // what keep added
    await run.retargetLinks();
  }
  if (db && ctx.level === 'default') await run.warnMissingInterpreters();
  if (db) out.packages = await run.summarise();
  return out;
}

interface Deferred { pkg: string; file: string; elfLike: boolean; needs: Consumer }
interface Needed { soname: string; neededBy: string }

class Run {
  private closureObjects = new Set<string>();
  /** ELF files autodeps added (modules, helpers) and the objects of their closures. */
  private elfAdded = new Set<string>();
  /** What each ELF-closure path (object or link on the way) was loaded as, for prune reports. */
  private needed = new Map<string, Needed>();
  private targets = new Set<string>();
  private imports = new Map<string, Promise<Set<string> | 'unknown'>>();
  private executables = new Map<string, Promise<{ elf: boolean; interpreters: Set<string> }>>();
  /** Consumers found present by addDeferred ("interpreter:perl", "symbol:iconv_open"). */
  private present = new Set<string>();
  /** Optional ELF files left out because a library they need is missing (see cannotLoad). */
  private unloadable = new Set<string>();
  private policyOf?: { profile: Profile; policy: FilterPolicy };
  constructor(private ctx: AutodepsContext, private db: PackageDatabase | undefined, private out: AutodepsResult) {
    for (const c of ctx.closures) {
      this.targets.add(c.objects[0].real);
      for (const h of c.objects[0].resolution.hops) this.targets.add(h.link);
      this.noteNeeded(c.objects.slice(1), c.target);
    }
  }

  private noteNeeded(objects: Closure['objects'], root: string): void {
    for (const o of objects) {
      const n = { soname: o.node.name, neededBy: o.loader?.path ?? root };
      for (const p of [o.real, ...o.resolution.hops.map((h) => h.link)]) if (!this.needed.has(p)) this.needed.set(p, n);
    }
  }

  /** A file of the archive's ELF set: the ELF closure, or an ELF object autodeps added. */
  private inElfSet(p: string): boolean {
    const rule = this.ctx.builder.get(p)?.rule;
    return rule === 'target' || rule === 'elf' || this.elfAdded.has(p);
  }

  /**
   * Essential packages built from the same source as a package of the ELF set. No package
   * declares a dependency on an Essential one, so the data a library reads from its
   * Essential sibling is reached by no Depends: libtinfo6 reads the terminal descriptions
   * of ncurses-base, without which `tput` or Python's curses find no terminal. Their
   * files still pass selectDefault (libc-bin's programs stay out).
   */
  private async essentialSiblings(taken: Set<string>): Promise<string[]> {
    const db = this.db!;
    const sources = new Set<string>();
    for (const e of this.ctx.builder.entries()) {
      if (e.type !== 'file' || !this.inElfSet(e.path)) continue;
      for (const o of await db.ownersOf(e.path)) {
        const src = (await db.info(o))?.source;
        if (src) sources.add(src);
      }
    }
    const out: string[] = [];
    for (const pkg of await db.packages()) {
      const info = await db.info(pkg);
      if (info?.essential && info.source && sources.has(info.source) && !taken.has(pkg)) out.push(pkg);
    }
    return out;
  }

  /**
   * When a target is an interpreter (perl, python3...), the installed packages holding its
   * library trees, even those it does not depend on: Debian's perl-base owns /usr/bin/perl
   * while Data::Dumper is in libperl5.36, which only the `perl` package pulls in. A user
   * composing an interpreter expects what it can load in the rootfs to load in the target.
   */
  private async interpreterLibraryPackages(): Promise<Set<string>> {
    const db = this.db!;
    const wanted = INTERPRETERS.filter((t) => this.ctx.closures.some((c) => t.objects.test(posix.basename(c.objects[0].real))));
    const out = new Set<string>();
    if (wanted.length === 0) return out;
    for (const pkg of await db.packages()) {
      for (const f of await db.filesOf(pkg)) {
        if (wanted.some((t) => t.trees.test(f))) {
          out.add(pkg);
          break;
        }
      }
    }
    return out;
  }

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
    const closure = level === 'tight' || level === 'none' ? seeds : await dependencyClosure(db, seeds);
    if (level === 'default') for (const p of await this.interpreterLibraryPackages()) closure.add(p);
    for (const rm of profile.packages.remove) for (const p of await db.resolveDependency(rm)) closure.delete(p);
    if (level === 'none') {
      for (const add of profile.packages.add) for (const p of await db.resolveDependency(add)) await this.addPackage(p, 'profile:packages', () => true);
      return;
    }
    // The module directories the program's libraries open: named after one of them, or
    // holding files of a package that owns one.
    const stems = new Set(this.ctx.closures.flatMap((c) => c.objects.slice(1).flatMap((o) => [...libraryStems(o.real), ...libraryStems(o.node.name)])));
    const moduleDirs = new Set<string>();
    if (level === 'default') for (const s of seeds) for (const f of await db.filesOf(s)) { const r = moduleRoot(f); if (r) moduleDirs.add(r); }
    let i = 0;
    const deferred: Deferred[] = [];
    const data = new Map<string, string[]>();
    const optional = level === 'default' ? await recommendedOnly(db, seeds) : new Map<string, string>();
    const judgeDefault = async (pkg: string) => {
      const role = { own: targetPkgs.has(pkg), ownsLibrary: seeds.has(pkg), moduleDirs, stems };
      await this.addPackage(pkg, `autodeps:default`, (file, elfLike) => {
        const choice = selectDefault(file, elfLike, role);
        if (choice === 'data') data.set(pkg, [...(data.get(pkg) ?? []), file]);
        else if (typeof choice === 'object') deferred.push({ pkg, file, elfLike, needs: choice.needs });
        return choice === true;
      });
    };
    for (const pkg of [...closure].sort()) {
      throwIfAborted(this.ctx.signal);
      this.ctx.onProgress?.({ phase: 'packages', done: i++, total: closure.size, detail: pkg });
      if (level !== 'default') await this.addPackage(pkg, `autodeps:${level}`, () => true);
      else await judgeDefault(pkg);
    }
    if (level === 'default') {
      const waiting = await this.addDeferred(deferred);
      deferred.length = 0;
      // Only now is the ELF set complete (modules and their libraries, e.g. Python's _curses
      // with libncursesw6), so only now are its packages' Essential siblings known.
      for (const pkg of await this.essentialSiblings(closure)) {
        closure.add(pkg);
        await judgeDefault(pkg);
      }
      await this.addDeferred([...waiting, ...deferred]);
      // Data last: whether a package is of use depends on the ELF files taken before.
      const rejected: [string, string][] = [];
      for (const [pkg, files] of data) {
        let why = seeds.has(pkg) ? 'owns a file of the ELF closure' : await this.dataUseful(pkg);
        const via = optional.get(pkg);
        if (why && via && (await this.bulkyOptional(pkg, via, files, profile))) why = undefined;
        for (const f of files) {
          if (why) await this.addFile(pkg, f, false, 'autodeps:default', `file of package ${pkg} (autodeps:default), data of a package that ${why}`);
          else rejected.push([pkg, f]);
        }
      }
      await this.addGenerated(closure, async (p) => {
        const choice = selectDefault(p, false, { own: false, ownsLibrary: true, moduleDirs, stems });
        if (choice === false || (typeof choice === 'object' && !this.present.has(`${choice.needs.kind}:${choice.needs.name}`))) return false;
        return !(await this.leadsToOtherCommand(p));
      });
      // A link of another package to data already in (/usr/lib/ssl/certs -> /etc/ssl/certs) costs nothing.
      for (const [pkg, f] of rejected) {
        const to = (await this.ctx.fs.lstat(f))?.isSymbolicLink() ? await linkInPlan(this.ctx.fs, builder, f) : undefined;
        if (to) await this.addFile(pkg, f, false, 'autodeps:default', `link of package ${pkg} (autodeps:default) to ${to}, which is in the archive`);
      }
    } else if (level === 'free' || level === 'clean') {
      // Never less than the default level takes from Essential siblings (ncurses-base's
      // terminfo for libtinfo6, glibc's C.UTF-8 locale), and no more: util-linux's programs
      // are not what libuuid1's users depend on.
      const none = { own: false, ownsLibrary: false, moduleDirs: new Set<string>(), stems: new Set<string>() };
      for (const pkg of await this.essentialSiblings(closure)) {
        closure.add(pkg);
        const dataOnly = !(await this.executablesOf(pkg, await db.filesOf(pkg))).elf;
        await this.addPackage(pkg, `autodeps:${level}`, (file, elfLike) => {
          const choice = selectDefault(file, elfLike, none);
          return choice === true || typeof choice === 'object' || (choice === 'data' && dataOnly);
        });
      }
      await this.addGenerated(closure, async () => true);
    }
  }

  /**
   * A data package that only a Recommends brings in, and that is big after the profile's
   * filters (pocketsphinx's 36 MiB speech model, recommended by the library behind one
   * ffmpeg filter): left out, with a warning that says how to add it.
   */
  private async bulkyOptional(pkg: string, via: string, files: string[], profile: Profile): Promise<boolean> {
    const policy = this.policy(profile);
    const section = (await this.db!.info(pkg))?.section;
    let bytes = 0;
    for (const f of files) {
      const st = await this.ctx.fs.lstat(f);
      if (st?.isFile() && !judge({ path: f, section }, policy).drop) bytes += st.size;
    }
    if (bytes <= BULKY_OPTIONAL_DATA) return false;
    this.out.warnings.push(`left out ${pkg} (${formatBytes(bytes)} of data that only a Recommends of ${via} brings in); add it with a profile's "packages: [+${pkg}]"`);
    return true;
  }

  /**
   * Whether the non-ELF data of a package in the dependency closure serves the archive:
   * when the package owns something of the ELF set, or ships no ELF file at all (a data
   * package: fonts, configuration, time zones, the CA certificates) and the interpreters
   * of its scripts, if any, are in the archive. Returns why, or undefined.
   */
  private async dataUseful(pkg: string): Promise<string | undefined> {
    const files = await this.db!.filesOf(pkg);
    const owned = files.find((f) => this.inElfSet(f));
    if (owned) return `owns ${owned}, which is in the archive`;
    const ex = await this.executablesOf(pkg, files);
    if (ex.elf) return undefined;
    for (const name of ex.interpreters) if (!(await this.consumerPresent({ kind: 'interpreter', name }))) return undefined;
    return 'ships no ELF file';
  }

  /** Whether a package ships an ELF file, and which interpreters its scripts name. */
  private executablesOf(pkg: string, files: string[]): Promise<{ elf: boolean; interpreters: Set<string> }> {
    let found = this.executables.get(pkg);
    if (!found) {
      found = (async () => {
        const out = { elf: false, interpreters: new Set<string>() };
        for (const f of files) {
          const st = await this.ctx.fs.lstat(f);
          if (!st?.isFile() || ((st.mode & 0o111) === 0 && !SHARED_OBJECT.test(f))) continue;
          const s = await sniff(this.ctx.fs.host(f)).catch(() => undefined);
          if (s?.kind === 'elf') return { ...out, elf: true };
          const interp = s?.kind === 'script' ? scriptInterpreter(s.head) : undefined;
          if (interp) out.interpreters.add(interp);
        }
        return out;
      })();
      this.executables.set(pkg, found);
    }
    return found;
  }

  /**
   * Files whose only use is through one consumer (an interpreter's library tree, libc's
   * gconv modules), decided once everything else is in, since the consumer may arrive with
   * any package or with a file decided here: repeated until nothing more opens.
   */
  private async addDeferred(deferred: Deferred[]): Promise<Deferred[]> {
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
    return rest;
  }

  /** The plan file that makes a consumer present (as shown in reasons), or undefined while there is none. */
  private async consumerPresent(needs: Consumer): Promise<string | undefined> {
    const files = this.ctx.builder.entries().filter((e) => e.type === 'file');
    if (needs.kind === 'interpreter') {
      const objects = INTERPRETERS.find((t) => t.name === needs.name)!.objects;
      return files.find((e) => objects.test(posix.basename(e.path)))?.path;
    }
    for (const e of files) {
      if ((e.mode & 0o111) === 0 && !SHARED_OBJECT.test(e.path)) continue;
      let found = this.imports.get(e.path);
      if (!found) {
        found = undefinedSymbols(this.ctx.fs.hostBytes(e.path), WATCHED_SYMBOLS);
        this.imports.set(e.path, found);
      }
      // Unreadable symbols (no section headers): count it as a consumer, to stay on the safe side.
      const names = await found;
      if (names === 'unknown') return `${e.path} (symbols unreadable, so perhaps)`;
      if (names.has(needs.name) && opensModulesBy(needs.name, e.path)) return e.path;
    }
    return undefined;
  }

  /** Adds the files of a package chosen by `pick`, with the ELF closure of each ELF file. */
  private async addPackage(pkg: string, rule: string, pick: (file: string, elfLike: boolean) => boolean): Promise<void> {
    const { builder, fs } = this.ctx;
    for (const f of await this.db!.filesOf(pkg)) {
      // "/lib" as libc6 lists it is the target's own layout alias, never a member.
      if (isLayoutAlias(f)) continue;
      const st = await fs.lstat(f);
      if (!st) continue;
      if (st.isDirectory()) {
        if (rule !== 'autodeps:default' && !builder.has(f)) await builder.addNode(f, st, `directory of package ${pkg}`, { rule, package: pkg });
        continue;
      }
      const elfLike = SHARED_OBJECT.test(f) || (st.isFile() && (st.mode & 0o111) !== 0);
      if (!pick(f, elfLike)) continue;
      await this.addFile(pkg, f, elfLike, rule, `file of package ${pkg} (${rule})`);
    }
  }

  private async addFile(pkg: string, f: string, elfLike: boolean, rule: string, reason: string): Promise<void> {
    if (rule === 'autodeps:default' && (await this.leadsToOtherCommand(f))) return;
    if (rule === 'autodeps:default' && elfLike && (await this.cannotLoad(f))) return;
    const res = await this.ctx.builder.addPath(f, reason, { rule, package: pkg });
    if (res?.stat?.isFile() && (elfLike || (res.stat.mode & 0o111) !== 0)) await this.addElfClosure(res.path, pkg);
  }

  /**
   * A symlink that leads into a command directory (/etc/rmt -> /etc/alternatives/rmt ->
   * /usr/sbin/rmt-tar) to a program that is neither a target nor in the ELF set: another
   * command, which the default level never takes.
   */
  private async leadsToOtherCommand(p: string): Promise<boolean> {
    if (!(await this.ctx.fs.lstat(p))?.isSymbolicLink()) return false;
    const res = await this.ctx.fs.resolve(p);
    if (![res.path, ...res.hops.map((h) => h.link)].some((x) => PATH_DIRS.test(x + '/'))) return false;
    return !(this.targets.has(res.path) || this.inElfSet(res.path));
  }

  /**
   * An optional ELF file (a module, a helper) whose closure lacks a library the rootfs does
   * not have can never load: libcaca's OpenGL plugin without libGLU. The default level
   * leaves it out and says so once; the other levels take package files whole and warn.
   */
  private async cannotLoad(f: string): Promise<boolean> {
    const { fs, loader } = this.ctx;
    const real = (await fs.resolve(f)).path;
    if (this.unloadable.has(real)) return true;
    if (this.closureObjects.has(real) || this.targets.has(real)) return false;
    try {
      if ((await sniff(fs.host(real))).kind !== 'elf') return false;
      const missing = (await loader.closure(real, this.ctx.signal)).unresolved;
      if (missing.length === 0) return false;
      this.unloadable.add(real);
      this.out.warnings.push(`left out ${real}: it needs ${missing.map((u) => u.soname).join(', ')}, which the rootfs does not have`);
      return true;
    } catch (e) {
      if (e instanceof ComposeError) return false; // addElfClosure reports it
      throw e;
    }
  }

  /** The ELF closure of an object added by autodeps (a module, a helper program). */
  private async addElfClosure(p: string, pkg: string): Promise<void> {
    if (this.closureObjects.has(p)) return;
    this.closureObjects.add(p);
    const { fs, loader, builder } = this.ctx;
    try {
      if ((await sniff(fs.host(p))).kind !== 'elf') return;
      this.elfAdded.add(p);
      const c = await loader.closure(p, this.ctx.signal);
      this.noteNeeded(c.objects.slice(1), p);
      for (const obj of c.objects.slice(1)) {
        this.elfAdded.add(obj.real);
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

  /** Install-time generated files (see generatedFiles.ts) of /etc directories the closure's packages list and of module directories taken. */
  private async addGenerated(pkgs: Set<string>, accept: (p: string) => Promise<boolean>): Promise<void> {
    const { fs, builder } = this.ctx;
    const etcDirs = new Set<string>();
    for (const pkg of pkgs) {
      for (const f of await this.db!.filesOf(pkg)) if (/^\/etc\/[^/]+/.test(f) && (await fs.lstat(f))?.isDirectory()) etcDirs.add(f);
    }
    const moduleDirs = new Set<string>();
    for (const e of builder.entries()) if (e.rule?.startsWith('autodeps:') && e.type === 'file' && isModuleDir(posix.dirname(e.path))) moduleDirs.add(posix.dirname(e.path));
    await addGeneratedFiles(fs, this.db!, builder, { etcDirs, moduleDirs }, accept);
  }

  /**
   * The profile's filters and prune rules. Nothing of the ELF closure goes unless `prune`
   * names it, and then it is reported as unresolved: the program would not load.
   */
  filter(profile: Profile): void {
    const { builder } = this.ctx;
    const policy = this.policy(profile);
    const prune = policy.prune!;
    const guarded = new Set(this.targets);
    for (const e of builder.entries()) if ((e.rule === 'elf' || e.rule === 'target') && !prune(e.path)) guarded.add(e.path);
    const result = filterEntries(builder.entries(), { ...policy, targets: guarded });
    for (const d of result.dropped) {
      builder.remove(d.entry.path);
      if (d.entry.rule !== 'elf' && d.entry.rule !== 'target') continue;
      const n = this.needed.get(d.entry.path) ?? { soname: posix.basename(d.entry.path), neededBy: this.ctx.targets[0] ?? '' };
      this.out.unresolved.push({ ...n, searched: ['removed by profile prune'] });
    }
    this.out.filtered = result.dropped.length;
  }

  /** The filters, keep and prune globs in force: the profile's, with the CLI's flags applied. */
  private policy(profile: Profile): FilterPolicy {
    // One profile per run: compile its globs once (bulkyOptional asks per package).
    if (this.policyOf?.profile === profile) return this.policyOf.policy;
    const filters = this.ctx.filterFlags ? resolveFilters(profile.filters, { ...this.ctx.filterFlags, profileFile: !!this.ctx.profile }) : profile.filters;
    // A glob may name an entry by its rootfs path or by its archive path (see PlanEntry.member).
    const member = (p: string) => this.ctx.builder.get(p)?.member;
    const either = (m: PathMatcher): PathMatcher => (p) => m(p) || (member(p) !== undefined && m(member(p)!));
    const policy = { filters, keep: either(globMatcher(profile.keep)), prune: either(globMatcher(profile.prune)) };
    this.policyOf = { profile, policy };
    return policy;
  }

  /** mezzotint's `keep` also brings in what it names (see profileKeep.ts). */
  async addKept(patterns: string[]): Promise<void> {
    const warnings = await addKeptFiles(this.ctx.fs, this.ctx.builder, patterns, (p) => this.addElfClosure(p, 'profile keep'));
    this.out.warnings.push(...warnings);
  }

  /** No link may dangle: one whose destination left the plan (or never entered it) goes. */
  async dropDanglingLinks(): Promise<void> {
    await dropDanglingLinks(this.ctx.fs, this.ctx.builder, this.targets);
  }

  /**
   * Puts files that their package lists only under a layout alias in through it (see
   * PlanEntry.member): data such as /lib/terminfo, and programs such as a target given as
   * /bin/bash, which scripts name by that path ("#!/bin/bash") and a flat target has there.
   * Idempotent: entries placed before are left as they are.
   */
  async placeListed(): Promise<void> {
    const entries = this.ctx.builder.entries();
    // Hard links name their target by path: neither side moves.
    const hardlinked = new Set(entries.filter((e) => e.type === 'hardlink').map((e) => e.linkTarget!));
    for (const e of entries) {
      // Shared objects, their links and the loader stay canonical: the loader searches both
      // places, and a library moved apart from its links would leave them dangling.
      if (e.member || e.type === 'hardlink' || hardlinked.has(e.path) || e.rule === 'elf' || SHARED_OBJECT.test(e.path)) continue;
      const listed = await this.db!.listedPath!(e.path);
      // Under an alias, not the alias itself: "/lib/terminfo", never "/lib".
      const [, top, ...rest] = listed?.split('/') ?? [];
      if (!listed || rest.length === 0 || !isLayoutAlias(`/${top}`)) continue;
      e.member = listed;
      e.reasons.push(`in the archive at ${listed}, where its package lists it`);
    }
  }

  /**
   * Symlinks follow what moved: a link whose destination, or which itself, goes in through
   * a layout alias gets its text recomputed between the archive paths (absolute stays
   * absolute), so /usr/bin/pidof -> /usr/sbin/killall5 becomes -> /sbin/killall5 when
   * killall5 goes in as sbin/killall5, and resolves in flat and merged targets alike.
   */
  async retargetLinks(): Promise<void> {
    const { builder, fs } = this.ctx;
    for (const e of builder.entries()) {
      if (e.type !== 'symlink' || !e.linkTarget) continue;
      const text = e.linkTarget;
      const raw = text.startsWith('/') ? text : posix.join(posix.dirname(e.path), text);
      const dir = await fs.resolve(posix.dirname(raw)).catch(() => undefined);
      const dest = dir && builder.get(posix.join(dir.path, posix.basename(raw)));
      if (!dest || (!dest.member && !e.member)) continue;
      const to = dest.member ?? dest.path;
      const next = text.startsWith('/') ? to : posix.relative(posix.dirname(e.member ?? e.path), to) || '.';
      if (next === text) continue;
      e.linkTarget = next;
      e.reasons.push(`link text ${text} became ${next}, since ${dest.member ? `${dest.path} goes in as ${to}` : `the link goes in as ${e.member}`}`);
    }
  }

  /**
   * Scripts the default level took (a package's helpers) whose #! interpreter is not in the
   * archive: git's perl helpers (git request-pull) when perl is not composed too. They stay,
   * since the user may add the interpreter, but the user hears about it once per interpreter.
   * A busybox target has /bin/sh, so that one never counts.
   */
  async warnMissingInterpreters(): Promise<void> {
    const { builder, fs } = this.ctx;
    const inArchive = new Set<string>();
    for (const e of builder.entries()) inArchive.add(e.path).add(e.member ?? e.path);
    const missing = new Map<string, string[]>();
    for (const e of builder.entries()) {
      if (e.type !== 'file' || (e.mode & 0o111) === 0 || this.targets.has(e.path) || this.inElfSet(e.path)) continue;
      // Modules of an interpreter's tree are imported, not run (cgi.py's #! is history).
      if (INTERPRETERS.some((t) => t.trees.test(e.path))) continue;
      const s = await sniff(fs.host(e.path)).catch(() => undefined);
      const interp = s?.kind === 'script' ? await scriptProgram(fs, s.head) : undefined;
      if (!interp || /^\/(usr\/)?bin\/sh$/.test(interp) || inArchive.has(interp)) continue;
      const real = (await fs.resolve(interp).catch(() => undefined))?.path;
      if (real && inArchive.has(real)) continue;
      missing.set(interp, [...(missing.get(interp) ?? []), e.member ?? e.path]);
    }
    for (const [interp, scripts] of missing) {
      this.out.warnings.push(`${scripts.length === 1 ? '1 script in the archive needs' : `${scripts.length} scripts in the archive need`} ${interp}, which is not in it (${scripts.slice(0, 3).join(', ')}${scripts.length > 3 ? ', ...' : ''}); compose it too (-x ${interp}) if they are to run`);
    }
  }

  summarise(): Promise<PackageUse[]> {
    return summarisePackages(this.db!, this.ctx.builder.entries());
  }
}

export { selectDefault, type Consumer } from './defaultRules';
export { undefinedSymbols } from './elfSymbols';
