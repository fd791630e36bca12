// The package-database interface. dpkg is the first implementation; rpm comes next and
// must fit behind the same calls, so nothing here is dpkg-specific.

/**
 * Resolves a path inside the rootfs, following symlinks without leaving it, and returns the
 * canonical rootfs path. Supplied by the caller (the loader's confinement), so a database
 * never resolves links against the host.
 */
export type Canonicalize = (rootfsPath: string) => Promise<string>;

/** One alternative of a dependency group, e.g. "python3:any (>= 3.11)". */
export interface Relation {
  name: string;
  /** Architecture qualifier as written: "any", "native" or an architecture name. */
  arch?: string;
  op?: '<<' | '<=' | '=' | '>=' | '>>';
  version?: string;
}

/** A managed alternative (Debian's update-alternatives; Fedora uses the same scheme). */
export interface Alternative {
  name: string;
  /** The generic link as the alternatives database records it ("/usr/bin/awk"). */
  link: string;
  mode: 'auto' | 'manual';
  /** Where the alternative currently points (the admin-directory link), when set. */
  current?: string;
  /** Secondary links that follow the master ("awk.1.gz" -> "/usr/share/man/man1/awk.1.gz"). */
  slaves: { name: string; link: string }[];
  choices: { path: string; priority: number; slaves: Record<string, string> }[];
}

export interface PackageInfo {
  /** Name as the database knows it, with ":arch" where dpkg needs it to be unique. */
  name: string;
  version: string;
  architecture?: string;
  /** Dependency groups: each inner list is an "a | b" alternative set, in order. */
  depends: string[][];
  recommends: string[][];
  provides: string[];
  /** "Section"/"Group" metadata, used to recognise documentation packages. */
  section?: string;
  /** The source package it was built from (dpkg "Source", rpm SOURCERPM's name). */
  source?: string;
  /** Installed as part of the base system that no package declares a dependency on (dpkg "Essential: yes"). */
  essential?: boolean;
  /** The same groups as `depends` and `recommends`, with version constraints kept. */
  relations?: { depends: Relation[][]; recommends: Relation[][] };
  /** dpkg "Multi-Arch" field (same, foreign, allowed) when present. */
  multiArch?: string;
}

export interface PackageDatabase {
  /** "dpkg" or "rpm". */
  readonly kind: string;
  /** Package that owns a canonical rootfs path, if any. */
  ownerOf(canonicalPath: string): Promise<string | undefined>;
  /** Canonical rootfs paths of the files a package installed. */
  filesOf(pkg: string): Promise<string[]>;
  /** Metadata of an installed package (name with or without ":arch"). */
  info(pkg: string): Promise<PackageInfo | undefined>;
  /** Installed package names that satisfy a dependency name (direct or via Provides). */
  resolveDependency(name: string): Promise<string[]>;
  /** Paths the package marks as configuration (dpkg conffiles). */
  conffilesOf(pkg: string): Promise<string[]>;
  /**
   * The name packages list a canonical path by, when none lists it canonically: dpkg's
   * pre-merge "/lib/terminfo/x/xterm" for "/usr/lib/terminfo/x/xterm". It is where the
   * file's readers look for it (libtinfo searches /lib/terminfo, not /usr/lib/terminfo).
   */
  listedPath?(canonicalPath: string): Promise<string | undefined>;
  /** Every package listing a canonical path; shared directories have many. */
  ownersOf(canonicalPath: string): Promise<string[]>;
  /** Names of all installed packages. */
  packages(): Promise<string[]>;
  /**
   * The installed package that satisfies an "a | b" group: the first alternative with an
   * installed match (by name or Provides, version constraint honoured). `fromArch` is the
   * depending package's architecture, used to pick between co-installed architectures.
   */
  satisfy(group: Relation[], fromArch?: string): Promise<string | undefined>;
  /** Managed alternatives and their current values. */
  alternatives(): Promise<Alternative[]>;
}
