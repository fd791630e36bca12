// A profile's `keep` globs, as in mezzotint, also bring in what they name: every file below
// a glob's fixed prefix that the glob matches goes into the plan (ELF files with their
// closure, through the callback). The walk stays inside the rootfs, does not follow
// directory links, and stops after MAX_KEEP_WALK entries so a glob like "/**" cannot run away.
import picomatch from 'picomatch';
import { globMatcher } from './filters';
import type { PlanBuilder } from './planBuilder';
import type { Rootfs } from './rootfs';

const MAX_KEEP_WALK = 50_000;

export async function addKeptFiles(fs: Rootfs, builder: PlanBuilder, patterns: string[], onElf: (canonical: string) => Promise<void>): Promise<string[]> {
  const matches = globMatcher(patterns);
  let budget = MAX_KEEP_WALK;
  const add = async (p: string) => {
    const res = await builder.addPath(p, 'kept by the profile', { rule: 'profile:keep' });
    if (res?.stat?.isFile() && ((res.stat.mode & 0o111) !== 0 || /\.so(\.|$)/.test(p))) await onElf(res.path);
  };
  const walk = async (dir: string): Promise<void> => {
    for (const name of await fs.list(dir)) {
      if (--budget < 0) return;
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if ((st.isFile() || st.isSymbolicLink()) && matches(p) && !builder.has(p)) await add(p);
    }
  };
  for (const pattern of patterns) {
    const base = picomatch.scan(pattern).base || '/';
    const start = await fs.resolve(base).catch(() => undefined);
    if (!start?.stat) continue;
    if (start.stat.isDirectory()) await walk(start.path);
    else if (matches(base) && !builder.has(start.path)) await add(base);
  }
  return budget < 0 ? [`profile keep: stopped after ${MAX_KEEP_WALK} entries; narrow the keep globs`] : [];
}
