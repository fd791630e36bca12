// buildPlan: the one call the CLI and the extension share. It resolves each target's ELF
// closure inside the rootfs and turns every object, and every symlink met on the way,
// into plan entries that say why they are there.
import * as path from 'node:path';
import { sniff } from './elf';
import { ComposeError, throwIfAborted } from './errors';
import { readLdSoConf } from './ldconfig';
import { ElfCache, LoaderEmulator, type Closure } from './loader';
import type { DepNode, Plan, Unresolved } from './plan';
import { PlanBuilder } from './planBuilder';
import type { Progress } from './archive';
import { Rootfs } from './rootfs';
import { envProgramName, parseShebang, findInPath } from './scripts';
import { applyAutodeps, type AutodepsLevel } from './autodeps';
import type { FilterCategory } from './filters';
import { loadProfile } from './profile';

const posix = path.posix;

export interface ComposeOptions {
  /** Host path of the rootfs. */
  root: string;
  /** Paths inside the rootfs, e.g. "/usr/bin/ffmpeg". */
  exes: string[];
  autodeps?: AutodepsLevel;
  /** Host path of a YAML profile. */
  profile?: string;
  /** mezzotint's "keep this category" flags (--doc, --man...) and --invert. */
  filterFlags?: { named: FilterCategory[]; invert: boolean };
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

const VIA_WORDS: Record<string, string> = {
  rpath: 'DT_RPATH', runpath: 'DT_RUNPATH', 'ld.so.conf': 'ld.so.conf', default: 'default dirs', path: 'its path',
};

export async function buildPlan(opts: ComposeOptions): Promise<Plan> {
  // A profile's `targets` stand in when no program is named on the command line.
  // Read once: its targets here, the rest by autodeps.
  const profile = opts.profile ? await loadProfile(opts.profile) : undefined;
  const exes = opts.exes.length > 0 ? opts.exes : profile ? profile.targets : [];
  if (exes.length === 0) throw new ComposeError('usage', undefined, 'no target given (use --exe PATH, or targets in the profile)');
  opts = { ...opts, exes };
  const fs = await Rootfs.open(opts.root);
  const conf = await readLdSoConf(fs);
  const loader = new LoaderEmulator(fs, conf, new ElfCache(fs));
  const builder = new PlanBuilder(fs);
  const tree: DepNode[] = [];
  const unresolved: Unresolved[] = [];
  const warnings: string[] = [...conf.warnings];
  const closures: Closure[] = [];
  let i = 0;
  for (const raw of opts.exes) {
    throwIfAborted(opts.signal);
    opts.onProgress?.({ phase: 'resolve', done: i++, total: opts.exes.length, detail: raw });
    const target = posix.normalize('/' + raw);
    const found = await targetClosures(fs, loader, target, builder, opts.signal);
    tree.push(found.length === 1 && found[0].target === target ? found[0].tree : scriptNode(target, found));
    for (const c of found) {
      closures.push(c);
      unresolved.push(...c.unresolved);
      warnings.push(...c.warnings);
      await addClosure(builder, c);
    }
  }
  const level = opts.autodeps ?? 'default';
  const extra = await applyAutodeps({ fs, loader, builder, closures, level, profile, filterFlags: opts.filterFlags, targets: opts.exes, signal: opts.signal, onProgress: opts.onProgress });
  unresolved.push(...extra.unresolved);
  warnings.push(...extra.warnings);
  const { entries, totals } = builder.finish();
  return {
    root: fs.hostRoot, targets: opts.exes, entries, unresolved: dedupeUnresolved(unresolved), totals, tree,
    layoutLinks: [...builder.layoutLinks.values()], warnings: [...new Set([...warnings, ...builder.warnings])],
    ...(extra.packages ? { packages: extra.packages } : {}), autodeps: level, ...(extra.filtered !== undefined ? { filtered: extra.filtered } : {}),
  };
}

/**
 * The closures a target needs: its own when it is ELF; for a `#!` script, the script
 * itself plus the closure of its interpreter (and of the program `env` would run).
 */
async function targetClosures(fs: Rootfs, loader: LoaderEmulator, target: string, builder: PlanBuilder, signal?: AbortSignal): Promise<Closure[]> {
  const res = await fs.resolve(target);
  if (!res.stat) throw new ComposeError('input', target, 'does not exist in the root filesystem');
  if (res.stat.isDirectory()) throw new ComposeError('input', target, 'is a directory; give a program');
  if (!res.stat.isFile()) throw new ComposeError('input', target, 'is a special file (FIFO, socket or device); give a program');
  const { kind, head } = await sniff(fs.host(res.path)).catch((e) => {
    throw new ComposeError('input', target, e instanceof ComposeError ? e.message.replace(/^[^:]*: /, '') : String(e));
  });
  if (kind === 'elf') return [await loader.closure(target, signal)];
  if (kind === 'other') throw new ComposeError('input', target, res.stat.size === 0 ? 'is an empty file, not a program' : 'is neither an ELF program nor a #! script');
  const sb = parseShebang(head);
  if (!sb) throw new ComposeError('input', target, 'has a malformed #! line');
  await builder.addResolved(res, `target ${target}`, { rule: 'target' });
  const out: Closure[] = [];
  const interp = await fs.resolve(sb.interpreter);
  if (!interp.stat) throw new ComposeError('input', target, `its interpreter ${sb.interpreter} does not exist in the root filesystem`);
  out.push(await loader.closure(sb.interpreter, signal));
  const envName = envProgramName(sb);
  if (envName !== undefined) {
    const prog = await findInPath(fs, envName);
    if (!prog) throw new ComposeError('input', target, `its interpreter "${sb.argument}" (run through env) is not in the root filesystem's PATH`);
    out.push(...(await targetClosures(fs, loader, prog, builder, signal)));
  }
  return out;
}

/** The tree root for a `#!` script: the script, with its interpreter's tree(s) below. */
function scriptNode(target: string, found: Closure[]): DepNode {
  return { name: target, path: target, via: 'target', chain: [], needed: found.map((c) => c.tree), description: '#! script' };
}

async function addClosure(builder: PlanBuilder, c: Closure): Promise<void> {
  for (const obj of c.objects) {
    let reason: string;
    if (obj.node.via === 'target') reason = `target ${c.target}`;
    else if (obj.node.via === 'interpreter') reason = `interpreter of ${obj.loader?.path ?? c.target}`;
    else reason = `NEEDED ${obj.node.name} by ${obj.loader?.path ?? c.target}, found via ${VIA_WORDS[obj.node.via] ?? obj.node.via}${obj.node.dir ? ` (${obj.node.dir})` : ''}`;
    await builder.addResolved(obj.resolution, reason, { rule: obj.node.via === 'target' ? 'target' : 'elf' });
  }
}

function dedupeUnresolved(list: Unresolved[]): Unresolved[] {
  const seen = new Set<string>();
  return list.filter((u) => {
    const k = `${u.soname}\0${u.neededBy}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
