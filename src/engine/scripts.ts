// `#!` scripts as targets: the kernel runs the interpreter named on the first line, so the
// interpreter's closure is what the script needs (plus the program `env` looks up).
import * as path from 'node:path';
import { decodeName, type Rootfs } from './rootfs';

/** The PATH a fresh shell in the target gets; used to find what `#!/usr/bin/env X` runs. */
export const DEFAULT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface Shebang { interpreter: string; argument?: string }

/** Parses the first line the way Linux does: interpreter, then one optional argument string. */
export function parseShebang(head: Buffer): Shebang | undefined {
  const end = head.indexOf(0x0a);
  const line = decodeName(head.subarray(2, end < 0 ? head.length : end)).replace(/\r$/, '').trim();
  if (!line) return undefined;
  const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m || !m[1].startsWith('/')) return undefined;
  return { interpreter: path.posix.normalize(m[1]), argument: m[2]?.trim() || undefined };
}

export async function findInPath(fs: Rootfs, name: string): Promise<string | undefined> {
  if (!name || name.includes('/')) return name.startsWith('/') ? name : undefined;
  for (const dir of DEFAULT_PATH) {
    const p = `${dir}/${name}`;
    const r = await fs.resolve(p);
    if (r.stat?.isFile() && (r.stat.mode & 0o111) !== 0) return p;
  }
  return undefined;
}

/**
 * The name `#!/usr/bin/env NAME` runs (options skipped; "" when only options follow), or
 * undefined when the line does not run env with an argument.
 */
export function envProgramName(sb: Shebang): string | undefined {
  if (path.posix.basename(sb.interpreter) !== 'env' || !sb.argument) return undefined;
  return sb.argument.split(/\s+/).find((a) => !a.startsWith('-')) ?? '';
}

/** The program a script runs: its interpreter, or what `env` finds in PATH (the bare name when nothing). */
export async function scriptProgram(fs: Rootfs, head: Buffer): Promise<string | undefined> {
  const sb = parseShebang(head);
  if (!sb) return undefined;
  const name = envProgramName(sb);
  return name === undefined ? sb.interpreter : ((await findInPath(fs, name)) ?? (name || undefined));
}
