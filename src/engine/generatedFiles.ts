// Files that packages create at install time, which no package lists: the CA bundle and its
// hash links in /etc/ssl/certs, gconv-modules.cache. They must not be confused with what an
// administrator dropped beside package files (/etc/apt/apt.conf.d/*, /etc/dpkg/dpkg.cfg.d/*).
import * as path from 'node:path';
import type { PackageDatabase } from './packages/database';
import type { PlanBuilder } from './planBuilder';
import type { Rootfs } from './rootfs';

const posix = path.posix;

export interface GeneratedSources {
  /** Directories below /etc that closure packages list. */
  etcDirs: Iterable<string>;
  /** Module directories that files already taken are in. */
  moduleDirs: Iterable<string>;
}

/**
 * Adds the unowned files of:
 *  - a directory below /etc/<name> when no package lists any file in it (all its contents
 *    are generated, like /etc/ssl/certs); one with package files beside unowned ones, or
 *    named "*.d", holds administrators' drop-ins, which stay out;
 *  - a module directory (caches built from the modules, like gconv-modules.cache).
 * `accept` has the last word on each file (rules that follow a consumer). Returns how many went in.
 */
export async function addGeneratedFiles(fs: Rootfs, db: PackageDatabase, builder: PlanBuilder, from: GeneratedSources, accept: (p: string) => Promise<boolean>): Promise<number> {
  const dirs = new Map<string, 'etc' | 'module'>();
  // Two levels down at least (/etc/ssl/certs): what sits directly in /etc/<pkg> is what
  // debootstrap or an administrator wrote (/etc/apt/sources.list). A "*.d" directory is
  // for drop-ins by convention, packages' or an administrator's, never generated files.
  for (const d of from.etcDirs) if (/^\/etc\/[^/]+\/[^/]+/.test(d) && !d.endsWith('.d')) dirs.set(d, 'etc');
  for (const d of from.moduleDirs) dirs.set(d, 'module');
  let added = 0;
  for (const [d, kind] of [...dirs].sort()) {
    // Not for everyone's eyes (/etc/ssl/private and its keys): never taken.
    if (((await fs.lstat(d))?.mode ?? 0) & 0o004 ? false : true) continue;
    const unowned: string[] = [];
    let packaged = false;
    for (const name of await fs.list(d)) {
      const p = posix.join(d, name);
      const st = await fs.lstat(p);
      if (!st || st.isDirectory()) continue;
      if ((await db.ownersOf(p)).length > 0) packaged = true;
      else if (!builder.has(p)) unowned.push(p);
    }
    if (kind === 'etc' && packaged) continue;
    for (const p of unowned) {
      if (!(await accept(p))) continue;
      await builder.addPath(p, `generated at install time in ${d}`, { rule: 'autodeps:generated' });
      added++;
    }
  }
  return added;
}
