// Autodeps: what is added beyond the ELF closure, by level. `none` is the ELF closure
// alone; the package-aware levels read the rootfs's package database.
import type { Progress } from './archive';
import type { Closure, LoaderEmulator } from './loader';
import type { PackageUse, Unresolved } from './plan';
import type { PlanBuilder } from './planBuilder';
import type { Rootfs } from './rootfs';
import { ComposeError } from './errors';

export const AUTODEPS_LEVELS = ['none', 'default', 'tight', 'free', 'clean'] as const;
export type AutodepsLevel = (typeof AUTODEPS_LEVELS)[number];

export interface AutodepsContext {
  fs: Rootfs;
  loader: LoaderEmulator;
  builder: PlanBuilder;
  closures: Closure[];
  level: AutodepsLevel;
  profile?: string;
  targets: string[];
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface AutodepsResult {
  unresolved: Unresolved[];
  warnings: string[];
  packages?: PackageUse[];
}

export async function applyAutodeps(ctx: AutodepsContext): Promise<AutodepsResult> {
  if (ctx.level === 'none' && !ctx.profile) return { unresolved: [], warnings: [] };
  throw new ComposeError('usage', undefined, `autodeps level "${ctx.level}" and profiles are not available in this build yet`);
}
