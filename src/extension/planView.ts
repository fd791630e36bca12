// Turns an engine Plan into what the webview shows, plus a rough archive-size estimate.

import * as path from 'node:path';
import type { Plan } from '../engine/index';
import type { PlanView } from '../shared/protocol';
import { basenameOf } from './format';

/** gzip shrinks typical x86-64 code and data to a bit under half. */
const GZIP_RATIO = 0.45;

export function estimateArchiveBytes(plan: Plan): number {
  let tarBytes = 1024; // end-of-archive blocks
  let content = 0;
  for (const e of plan.entries) {
    tarBytes += 512;
    if (e.type === 'file') content += Math.ceil(e.size / 512) * 512;
  }
  return Math.round(tarBytes * 0.1 + content * GZIP_RATIO);
}

export function toPlanView(plan: Plan, rootLabel: string, elapsedMs: number): PlanView {
  const defaultName = basenameOf(plan.targets[0] ?? 'archive');
  return {
    root: plan.root,
    rootLabel,
    targets: plan.targets,
    tree: plan.tree,
    entries: plan.entries,
    unresolved: plan.unresolved,
    totals: plan.totals,
    layoutLinks: plan.layoutLinks,
    warnings: plan.warnings,
    packages: plan.packages,
    autodeps: plan.autodeps,
    estimatedArchiveBytes: estimateArchiveBytes(plan),
    archivePath: path.join(plan.root, 'tmp', `${defaultName}.tar.gz`),
    defaultName,
    elapsedMs,
  };
}
