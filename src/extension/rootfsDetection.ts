// Finds the root filesystems in the workspace and keeps the list (detected + added by the
// user, the latter remembered in workspace state). A folder is a rootfs when it has
// etc/os-release or usr/lib/os-release, and usr/bin or bin.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from './log';
import { resolveInRoot } from './rootfsPaths';

export type PackageManager = 'dpkg' | 'rpm' | 'apk' | 'pacman';

export interface RootInfo {
  /** Host path of the rootfs. */
  path: string;
  /** PRETTY_NAME, else NAME VERSION, else "Linux". */
  distro: string;
  /** os-release ID ("debian"), when present. */
  id?: string;
  packageManager?: PackageManager;
  source: 'detected' | 'added';
}

const ADDED_KEY = 'containerCompositor.addedRoots';
const CTX_HAS_ROOTS = 'containerCompositor.hasRoots';
const CTX_DIRS = 'containerCompositor.rootfsDirs';
/** Directories never walked for the explorer context key. */
const SKIP_TOP = new Set(['proc', 'sys', 'dev', 'run']);
const MAX_DIRS = 50_000;

async function exists(p: string): Promise<boolean> {
  try { await fsp.lstat(p); return true; } catch { return false; }
}

/** True when dir looks like a root filesystem. */
export async function looksLikeRootfs(dir: string): Promise<boolean> {
  const [osr1, osr2, bin1, bin2] = await Promise.all([
    exists(path.join(dir, 'etc', 'os-release')),
    exists(path.join(dir, 'usr', 'lib', 'os-release')),
    exists(path.join(dir, 'usr', 'bin')),
    exists(path.join(dir, 'bin')),
  ]);
  return (osr1 || osr2) && (bin1 || bin2);
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) {
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    out[m[1]!] = v;
  }
  return out;
}

export async function describeRoot(dir: string, source: RootInfo['source']): Promise<RootInfo> {
  let fields: Record<string, string> = {};
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const r = await resolveInRoot(dir, p);
      const st = await fsp.stat(r.hostPath);
      if (!st.isFile() || st.size > 64 * 1024) continue;
      fields = parseOsRelease(await fsp.readFile(r.hostPath, 'utf8'));
      break;
    } catch { /* try the next one */ }
  }
  const distro = fields.PRETTY_NAME || [fields.NAME, fields.VERSION].filter(Boolean).join(' ') || 'Linux';
  return { path: dir, distro, id: fields.ID, packageManager: await detectPackageManager(dir), source };
}

async function detectPackageManager(dir: string): Promise<PackageManager | undefined> {
  const probes: [PackageManager, string[]][] = [
    ['dpkg', ['var/lib/dpkg/status']],
    ['rpm', ['var/lib/rpm', 'usr/lib/sysimage/rpm']],
    ['apk', ['lib/apk/db/installed']],
    ['pacman', ['var/lib/pacman/local']],
  ];
  for (const [pm, paths] of probes) {
    for (const p of paths) if (await exists(path.join(dir, p))) return pm;
  }
  return undefined;
}

/** Rootfs candidates of one workspace folder: itself, else its subfolders (one level down). */
export async function detectInFolder(folder: string): Promise<string[]> {
  if (await looksLikeRootfs(folder)) return [folder];
  let names: import('node:fs').Dirent[];
  try {
    names = await fsp.readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const dirs = names.filter(d => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules');
  const found = await Promise.all(dirs.map(async d => {
    const p = path.join(folder, d.name);
    return (await looksLikeRootfs(p)) ? p : undefined;
  }));
  return found.filter((p): p is string => p !== undefined).sort();
}

/** The list of root filesystems the extension knows, with change events and context keys. */
export class RootRegistry implements vscode.Disposable {
  private roots: RootInfo[] = [];
  private readonly emitter = new vscode.EventEmitter<RootInfo[]>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private refreshing: Promise<RootInfo[]> | undefined;
  private dirWalk = 0;
  private readyPromise: Promise<RootInfo[]>;

  constructor(private readonly state: vscode.Memento, private readonly log: Log) {
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()));
    const watcher = vscode.workspace.createFileSystemWatcher('{etc/os-release,*/etc/os-release,usr/lib/os-release,*/usr/lib/os-release}');
    const onFs = () => void this.refresh();
    watcher.onDidCreate(onFs, undefined, this.disposables);
    watcher.onDidDelete(onFs, undefined, this.disposables);
    this.disposables.push(watcher);
    this.readyPromise = this.refresh();
  }

  /** Resolves once the first detection has finished. */
  ready(): Promise<RootInfo[]> { return this.readyPromise; }

  list(): readonly RootInfo[] { return this.roots; }

  /** The rootfs that contains hostPath (the innermost one when nested). */
  rootFor(hostPath: string): RootInfo | undefined {
    let best: RootInfo | undefined;
    for (const r of this.roots) {
      const rel = path.relative(r.path, hostPath);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      if (!best || r.path.length > best.path.length) best = r;
    }
    return best;
  }

  addedPaths(): string[] {
    const v = this.state.get<unknown>(ADDED_KEY, []);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  async add(dir: string): Promise<RootInfo> {
    const abs = path.resolve(dir);
    if (!(await looksLikeRootfs(abs))) {
      throw new Error(`${abs} does not look like a root filesystem (no etc/os-release or usr/lib/os-release with usr/bin or bin)`);
    }
    const added = this.addedPaths();
    if (!added.includes(abs)) await this.state.update(ADDED_KEY, [...added, abs]);
    await this.refresh();
    return this.roots.find(r => r.path === abs)!;
  }

  async remove(dir: string): Promise<void> {
    await this.state.update(ADDED_KEY, this.addedPaths().filter(p => p !== dir));
    await this.refresh();
  }

  refresh(): Promise<RootInfo[]> {
    // Coalesce overlapping refreshes, but always run one after the latest request.
    const run = async (): Promise<RootInfo[]> => {
      const folders = vscode.workspace.workspaceFolders?.filter(f => f.uri.scheme === 'file') ?? [];
      const detected = (await Promise.all(folders.map(f => detectInFolder(f.uri.fsPath)))).flat();
      const seen = new Set<string>();
      const infos: RootInfo[] = [];
      for (const p of detected) {
        if (seen.has(p)) continue;
        seen.add(p);
        infos.push(await describeRoot(p, 'detected'));
      }
      for (const p of this.addedPaths()) {
        if (seen.has(p)) continue;
        seen.add(p);
        if (await looksLikeRootfs(p)) infos.push(await describeRoot(p, 'added'));
        else this.log.warn(`Added root filesystem ${p} is gone or no longer looks like one; skipped.`);
      }
      this.roots = infos;
      this.log.info(`Root filesystems: ${infos.length ? infos.map(r => `${r.path} (${r.distro}${r.packageManager ? ', ' + r.packageManager : ''})`).join('; ') : 'none'}`);
      await vscode.commands.executeCommand('setContext', CTX_HAS_ROOTS, infos.length > 0);
      this.emitter.fire(infos);
      void this.publishDirs(infos);
      return infos;
    };
    const next = (this.refreshing ?? Promise.resolve([] as RootInfo[])).catch(() => []).then(run);
    this.refreshing = next;
    return next;
  }

  /**
   * Publishes every directory of every rootfs as a context key, so the built-in Explorer's
   * menu can show our commands only on files inside a rootfs (`resourceDirname in ...`).
   */
  private async publishDirs(infos: RootInfo[]): Promise<void> {
    const walk = ++this.dirWalk;
    const dirs: Record<string, true> = {};
    let count = 0;
    const queue: { host: string; depth: number }[] = infos.map(r => ({ host: r.path, depth: 0 }));
    while (queue.length > 0 && count < MAX_DIRS) {
      const batch = queue.splice(0, 32);
      await Promise.all(batch.map(async ({ host, depth }) => {
        dirs[host] = true;
        count++;
        let ents: import('node:fs').Dirent[];
        try { ents = await fsp.readdir(host, { withFileTypes: true }); } catch { return; }
        for (const e of ents) {
          if (depth === 0 && SKIP_TOP.has(e.name)) continue;
          const child = path.join(host, e.name);
          if (e.isDirectory()) queue.push({ host: child, depth: depth + 1 });
          else if (e.isSymbolicLink()) {
            // A link to a directory (bin -> usr/bin) is a folder in the Explorer too.
            try { if ((await fsp.stat(child)).isDirectory()) { dirs[child] = true; count++; } } catch { /* dangling */ }
          }
        }
      }));
      if (walk !== this.dirWalk) return; // a newer refresh took over
    }
    if (count >= MAX_DIRS) this.log.warn(`More than ${MAX_DIRS} directories in the root filesystems; Explorer menus cover the first ${MAX_DIRS}.`);
    await vscode.commands.executeCommand('setContext', CTX_DIRS, dirs);
    this.log.debug(`Explorer context: ${count} rootfs directories`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
