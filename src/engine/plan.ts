// The plan: the engine's output and the only thing the archive writer, the CLI report,
// the JSON output and the webview consume. Paths are absolute *inside the rootfs*
// ("/usr/bin/ffmpeg"); the archive member name is the path without its leading slash.
// The JSON form (see README "JSON schema") is a stable interface: add fields, never rename.

export type EntryType = 'dir' | 'file' | 'symlink' | 'hardlink';

export interface PlanEntry {
  /** Canonical path inside the rootfs: no component above it is a symlink. */
  path: string;
  type: EntryType;
  /** Bytes of content (files); 0 for the rest. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlink text as it will be written, or the rootfs path a hardlink points to. */
  linkTarget?: string;
  /** Why the entry is in the plan, in words ("interpreter of /usr/bin/ffmpeg"). */
  reasons: string[];
  /**
   * The path it has in the archive when that is not `path`: a file that its package lists
   * only under a top-level layout alias (ncurses-base's /lib/terminfo, bash's /bin/bash)
   * goes in through the alias, so it lands where its readers look in a flat target (real
   * /lib) as in a merged one (lib -> usr/lib). Shared objects stay at `path`: the loader
   * searches both.
   */
  member?: string;
  /** Owning package, once package databases are read. */
  package?: string;
  /** The rule that put it there (e.g. "elf", "autodeps:default/module-dir", "profile:keep"). */
  rule?: string;
}

/** How a NEEDED entry (or the interpreter) was found. */
export type FoundVia =
  | 'target' | 'interpreter' | 'path' | 'loaded'
  | 'rpath' | 'runpath' | 'ld.so.conf' | 'default';

export interface SymlinkHop {
  /** Rootfs path of the link. */
  link: string;
  /** Its text as stored on disk. */
  target: string;
  /** Whether the link names a directory (met on the way) or the final file. */
  kind: 'dir' | 'file';
}

/** One resolved ELF object in the dependency tree. */
export interface DepNode {
  /** Name as requested (NEEDED string, interpreter path, or target path). */
  name: string;
  /** Path where it was found (not symlink-resolved), or undefined when unresolved. */
  path?: string;
  /** Canonical path of the file it resolves to. */
  realPath?: string;
  via: FoundVia;
  /** The search directory it was found in (for rpath/runpath/ld.so.conf/default). */
  dir?: string;
  /** Symlinks followed from `path` to `realPath`. */
  chain: SymlinkHop[];
  /** Directories searched, in order, when unresolved. */
  searched?: string[];
  /** Children (NEEDED of this object); empty for objects already shown elsewhere. */
  needed: DepNode[];
  /** True when this object was already expanded earlier in the tree. */
  repeated?: boolean;
  /** e.g. "ELF 64-bit x86-64 shared object". */
  description?: string;
}

export interface Unresolved {
  soname: string;
  neededBy: string;
  searched: string[];
}

export interface PackageUse {
  name: string;
  version?: string;
  /** Bytes this package contributes to the archive. */
  bytes: number;
  files: number;
}

export interface PlanTotals {
  files: number;
  symlinks: number;
  dirs: number;
  hardlinks: number;
  bytes: number;
}

export interface Plan {
  /** Host path of the rootfs. */
  root: string;
  /** Target paths inside the rootfs, as given. */
  targets: string[];
  entries: PlanEntry[];
  unresolved: Unresolved[];
  totals: PlanTotals;
  /** Dependency tree, one root per target. */
  tree: DepNode[];
  /** Directory symlinks met on the way that are not archived (layout aliases such as /lib -> usr/lib). */
  layoutLinks: SymlinkHop[];
  /** Non-fatal problems (unreadable files, special files skipped, hooks not executed...). */
  warnings: string[];
  /** Packages involved, when a package database was read. */
  packages?: PackageUse[];
  /** Autodeps level used. */
  autodeps?: string;
  /** Entries the profile's filters and prune rules removed. */
  filtered?: number;
}
