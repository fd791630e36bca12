// Picks the package database a rootfs carries. dpkg today; rpm will be probed here next.
import { promises as fsp } from 'node:fs';
import type { Canonicalize, PackageDatabase } from './database';
import { DpkgDatabase } from './dpkg';

/**
 * Returns the rootfs's package database, or undefined when it has none we can read.
 * The status file is located through `canonicalize`, so a /var that is a symlink inside
 * the rootfs is followed there and never on the host.
 */
export async function detectPackageDatabase(root: string, canonicalize: Canonicalize): Promise<PackageDatabase | undefined> {
  let status: string;
  try {
    status = await canonicalize('/var/lib/dpkg/status');
  } catch {
    return undefined;
  }
  const host = root.replace(/\/+$/, '') + status;
  const st = await fsp.stat(host).catch(() => undefined);
  return st?.isFile() ? new DpkgDatabase(root, canonicalize) : undefined;
}
