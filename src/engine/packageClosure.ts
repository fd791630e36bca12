// Package-level helpers of autodeps: the dependency closure of a set of packages, and what
// each package contributes to a plan.
import type { PackageDatabase } from './packages/database';
import type { PackageUse, PlanEntry } from './plan';

/** Transitive Depends/Pre-Depends and installed Recommends; `a | b` by the first installed. */
export async function dependencyClosure(db: PackageDatabase, seeds: Set<string>): Promise<Set<string>> {
  return new Set((await walk(db, seeds, true)).keys());
}

/**
 * The packages of dependencyClosure() that only a Recommends brings in, each with a package
 * that recommends it: the optional part, which the default level weighs before taking.
 */
export async function recommendedOnly(db: PackageDatabase, seeds: Set<string>): Promise<Map<string, string>> {
  const hard = await walk(db, seeds, false);
  const out = new Map<string, string>();
  for (const [pkg, from] of await walk(db, seeds, true)) if (!hard.has(pkg) && from) out.set(pkg, from);
  return out;
}

/** Breadth-first over the relations; maps each package reached to the one it was reached from. */
async function walk(db: PackageDatabase, seeds: Set<string>, recommends: boolean): Promise<Map<string, string | undefined>> {
  const seen = new Map<string, string | undefined>([...seeds].map((s) => [s, undefined]));
  const queue = [...seeds];
  while (queue.length) {
    const pkg = queue.shift()!;
    const info = await db.info(pkg);
    if (!info) continue;
    const groups = [...(info.relations?.depends ?? []), ...(recommends ? info.relations?.recommends ?? [] : [])];
    for (const g of groups) {
      const hit = await db.satisfy(g, info.architecture);
      if (hit && !seen.has(hit)) {
        seen.set(hit, pkg);
        queue.push(hit);
      }
    }
  }
  return seen;
}

/** Bytes and files per package; entries without a recorded package get their owner (annotated in place). */
export async function summarisePackages(db: PackageDatabase, entries: PlanEntry[]): Promise<PackageUse[]> {
  const use = new Map<string, PackageUse>();
  for (const e of entries) {
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
