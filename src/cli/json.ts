// The --json form of a plan. It is a documented, stable interface (README "JSON schema"):
// fields may be added, never renamed or removed.
import type { Plan } from '../engine';

export function toJson(plan: Plan) {
  return {
    root: plan.root,
    targets: plan.targets,
    autodeps: plan.autodeps,
    entries: plan.entries.map((e) => ({
      path: e.path, type: e.type, size: e.size, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime,
      ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
      reasons: e.reasons,
      ...(e.package ? { package: e.package } : {}),
      ...(e.rule ? { rule: e.rule } : {}),
      ...(e.member ? { member: e.member } : {}),
    })),
    unresolved: plan.unresolved,
    totals: plan.totals,
    layoutLinks: plan.layoutLinks,
    warnings: plan.warnings,
    ...(plan.packages ? { packages: plan.packages } : {}),
    ...(plan.filtered !== undefined ? { filtered: plan.filtered } : {}),
    tree: plan.tree,
  };
}
