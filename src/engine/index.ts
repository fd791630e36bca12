// The engine's public surface. The CLI and the extension import only from here; nothing
// under src/engine imports vscode (a test checks that).
import { readElf, describe } from './elf';
import { Rootfs } from './rootfs';

export { buildPlan, type ComposeOptions } from './compose';
export { writeArchive, archivePathFor, archiveFileName, type WriteOptions, type WriteResult, type Progress } from './archive';
export { ComposeError, CancelledError, ElfError } from './errors';
export { AUTODEPS_LEVELS, type AutodepsLevel } from './autodeps';
export { formatReport } from './report';
export type { Plan, PlanEntry, DepNode, Unresolved, SymlinkHop, PackageUse } from './plan';
export { Rootfs };

/** "ELF 64-bit x86-64 executable" / "... shared object"; undefined when not ELF. Never opens special files. */
export async function describeElf(hostPath: string): Promise<string | undefined> {
  try {
    // readElf rejects a non-ELF file after 16 bytes; no separate sniff (one open per file).
    return describe(await readElf(hostPath));
  } catch {
    return undefined;
  }
}
