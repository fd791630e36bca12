// Symlinks of a plan and where they lead: a link is only worth archiving when what it
// names is archived too.
import { isLayoutAlias, type PlanBuilder } from './planBuilder';
import type { Rootfs } from './rootfs';

/**
 * The canonical destination of link `p` when it and every link on the way (other than `p`
 * itself) are in the plan; undefined when the link would dangle in the archive. Layout
 * aliases (/lib -> usr/lib) count as present: every target has them.
 */
export async function linkInPlan(fs: Rootfs, builder: PlanBuilder, p: string): Promise<string | undefined> {
  const inPlan = (x: string) => x === '/' || isLayoutAlias(x) || builder.has(x);
  const res = await fs.resolve(p);
  if (!res.stat || !inPlan(res.path)) return undefined;
  return res.hops.every((h) => h.link === p || inPlan(h.link)) ? res.path : undefined;
}

/** Removes symlinks that would dangle (see linkInPlan), again until none is left, except `keep`. */
export async function dropDanglingLinks(fs: Rootfs, builder: PlanBuilder, keep: ReadonlySet<string>): Promise<number> {
  let dropped = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (const e of builder.entries()) {
      if (e.type !== 'symlink' || keep.has(e.path) || (await linkInPlan(fs, builder, e.path))) continue;
      builder.remove(e.path);
      dropped++;
      changed = true;
    }
  }
  return dropped;
}
