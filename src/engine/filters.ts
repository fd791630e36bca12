// Filter categories: which files of a plan are documentation, translations, logs... and may
// be left out of the archive. Matching is by location (and, for documentation, by package
// metadata), never by substring: "libhistory.so", "/usr/bin/pandoc" or a run-time ".xml"
// contain doc-looking words but are not documentation.
//
// Names follow mezzotint's profile "filters" list, where each listed category is REMOVED:
//   l10n  localisation: translated message catalogs, one per language (/usr/share/locale).
//   i18n  internationalisation: the machinery to build and select locales (charmaps and
//         locale sources in /usr/share/i18n, compiled locales in /usr/lib/locale).
//   doc, man, log, dir (empty directories), images, archives.
// (mezzotint's CLI calls images "pic" and archives "arc"; both spellings are accepted.)
import picomatch from 'picomatch';
import type { EntryType } from './plan';

export type FilterCategory = 'l10n' | 'i18n' | 'doc' | 'man' | 'log' | 'dir' | 'images' | 'archives';

export const FILTER_CATEGORIES: readonly FilterCategory[] = ['l10n', 'i18n', 'doc', 'man', 'log', 'dir', 'images', 'archives'];

/** What a filter looks at: a canonical rootfs path and what is known about it. */
export interface FilterSubject {
  path: string;
  /** Defaults to 'file'. */
  type?: EntryType;
  /** Section of the owning package ("doc", "libs"...). */
  section?: string;
  /**
   * True when the owning package is documentation only (see isDocumentationPackage): then
   * all its files under /usr/share are documentation, wherever they are.
   */
  docPackage?: boolean;
  /** For directories: nothing but (empty) directories below it remains in the plan. */
  emptyDir?: boolean;
}

/** `path` is `dir` or inside it. */
function under(path: string, dir: string): boolean {
  return path === dir || (path.startsWith(dir) && path.charCodeAt(dir.length) === 47);
}

const underAny = (path: string, dirs: readonly string[]) => dirs.some((d) => under(path, d));

const DOC_DIRS = [
  '/usr/share/doc',
  '/usr/share/doc-base', // doc-base registrations: metadata about documentation only
  '/usr/share/info',
  '/usr/share/gtk-doc',
  '/usr/share/devhelp', // API books for the devhelp viewer
  '/usr/share/help', // Mallard/yelp user manuals
  '/usr/local/share/doc',
  '/usr/local/share/info',
];

/**
 * Licences are not documentation: redistributing the binaries requires them, and they are
 * small. So /usr/share/common-licenses (never under a doc directory anyway) and each
 * package's /usr/share/doc/<pkg>/copyright stay. A profile can still prune them.
 */
function isLicence(path: string): boolean {
  return under(path, '/usr/share/common-licenses') || /^\/usr\/share\/doc\/[^/]+\/copyright$/.test(path);
}

/**
 * Python's pydoc_data: the language reference's topic texts, which only the interactive
 * help() shows. Documentation in module form; pydoc says so and goes on when it is absent.
 */
const PYDOC_TOPICS = /^\/usr\/lib\/python3[^/]*\/pydoc_data\//;

const MAN_DIRS = ['/usr/share/man', '/usr/local/share/man', '/usr/man'];

const L10N_DIRS = ['/usr/share/locale', '/usr/share/locale-langpack', '/usr/local/share/locale'];

const I18N_DIRS = ['/usr/share/i18n', '/usr/lib/locale'];

/**
 * Kept out of l10n/i18n because programs read them whatever the language:
 * locale.alias is read by setlocale() to resolve alias names, and C.utf8 is the neutral
 * UTF-8 locale that Python and others switch to on their own (PEP 538).
 * gconv modules (/usr/lib/<triplet>/gconv) are charset converters used by iconv(), not
 * locale data, and sit outside every directory listed here.
 */
function isLocaleRuntime(path: string): boolean {
  return (
    path === '/usr/share/locale/locale.alias' ||
    under(path, '/usr/lib/locale/C.utf8') ||
    under(path, '/usr/lib/locale/C.UTF-8')
  );
}

const IMAGE_DIRS = ['/usr/share/pixmaps', '/usr/share/icons', '/usr/share/backgrounds', '/usr/share/wallpapers', '/usr/share/images'];

const IMAGE_EXT = /\.(png|jpe?g|gif|bmp|ico|icns|svgz?|xpm|xbm|tiff?|webp|p[bgpn]m|tga)$/i;

/** Static libraries live in library directories; elsewhere ".a" means something else. */
const LIB_DIRS = ['/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/usr/local/lib', '/lib', '/lib64'];

/** Directories that hold library files directly (not module subdirectories). */
const TOP_LIB_DIR = /^\/(usr\/(local\/)?)?lib(32|64|x32)?(\/[a-z0-9_]+-linux-gnu[a-z0-9_]*)?$/;

const PACKAGE_ARCHIVE = /\.(deb|udeb|rpm)$/;

const COMPRESSED_ARCHIVE = /\.(tar|tar\.(gz|bz2|xz|zst|lz4|lzma)|tgz|tbz2?|txz|zip)$/;

/** Places where a tarball is a copy of something, not data a program opens. */
const ARCHIVE_DIRS = ['/usr/src', '/var/cache', '/var/backups', ...DOC_DIRS];

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** True when `s` belongs to category `c`. Precise by construction; see the file header. */
export function isInCategory(c: FilterCategory, s: FilterSubject): boolean {
  const p = s.path;
  const type = s.type ?? 'file';
  switch (c) {
    case 'doc':
      if (isLicence(p)) return false;
      return underAny(p, DOC_DIRS) || PYDOC_TOPICS.test(p) || (s.docPackage === true && under(p, '/usr/share') && !underAny(p, MAN_DIRS));
    case 'man':
      return underAny(p, MAN_DIRS);
    case 'l10n':
      return underAny(p, L10N_DIRS) && !isLocaleRuntime(p);
    case 'i18n':
      return underAny(p, I18N_DIRS) && !isLocaleRuntime(p);
    case 'log':
      // Log files only: the directories stay, daemons expect to be able to write there.
      return type !== 'dir' && p.startsWith('/var/log/');
    case 'dir':
      return type === 'dir' && s.emptyDir === true;
    case 'images':
      return type !== 'dir' && underAny(p, IMAGE_DIRS) && IMAGE_EXT.test(p);
    case 'archives':
      if (type === 'dir') return false;
      if (p.endsWith('.a') && underAny(p, LIB_DIRS)) return true;
      // libtool archives are for linking; ltdl-loaded modules keep theirs (read at run time).
      if (p.endsWith('.la') && TOP_LIB_DIR.test(parentOf(p))) return true;
      if (PACKAGE_ARCHIVE.test(p)) return true;
      return COMPRESSED_ARCHIVE.test(p) && underAny(p, ARCHIVE_DIRS);
  }
}

/** Every category the subject belongs to (most paths: none). */
export function categoriesOf(s: FilterSubject): FilterCategory[] {
  return FILTER_CATEGORIES.filter((c) => isInCategory(c, s));
}

/**
 * A package is documentation only when its Section is "doc" and it installs nothing a
 * program runs or reads as configuration. man-db is in Section doc yet ships /usr/bin/man
 * and /usr/share/man-db/chconfig, so Section alone would be wrong.
 */
export function isDocumentationPackage(section: string | undefined, files: readonly string[]): boolean {
  if (section?.slice(section.lastIndexOf('/') + 1) !== 'doc') return false;
  return files.every((f) => f === '/' || f === '/.' || f === '/usr' || under(f, '/usr/share'));
}

// ---- keep / prune globs --------------------------------------------------------------

export type PathMatcher = (path: string) => boolean;

/**
 * Matches absolute rootfs paths against globs (picomatch, dotfiles included). A pattern that
 * matches a directory also covers everything below it, so "keep: [/etc]" keeps all of /etc,
 * as it does in mezzotint.
 */
export function globMatcher(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return () => false;
  const m = picomatch([...patterns], { dot: true });
  return (path) => {
    for (let p = path; p !== '/'; p = parentOf(p)) if (m(p)) return true;
    return m('/');
  };
}

// ---- decisions -----------------------------------------------------------------------

export interface FilterPolicy {
  /** Categories to remove. */
  filters: readonly FilterCategory[];
  keep?: PathMatcher;
  prune?: PathMatcher;
  /** Target paths: never removed. */
  targets?: ReadonlySet<string>;
}

export interface Verdict {
  drop: boolean;
  /** The rule that decided, when one did: "target", "profile:keep", "profile:prune", "filter:doc"... */
  rule?: string;
}

/**
 * Decides one entry. Order: a target is never removed; keep wins over every filter and over
 * prune; then prune; then the categories.
 */
export function judge(s: FilterSubject, policy: FilterPolicy): Verdict {
  if (policy.targets?.has(s.path)) return { drop: false, rule: 'target' };
  if (policy.keep?.(s.path)) return { drop: false, rule: 'profile:keep' };
  if (policy.prune?.(s.path)) return { drop: true, rule: 'profile:prune' };
  for (const c of policy.filters) if (isInCategory(c, s)) return { drop: true, rule: `filter:${c}` };
  return { drop: false };
}

export interface FilterResult<T> {
  kept: T[];
  dropped: { entry: T; rule: string }[];
}

/**
 * Filters a whole plan. Files and links first; then "dir" is judged on what is left, so a
 * directory emptied by the doc filter goes too (mezzotint: "empty directories or directories
 * with empty subdirectories"). A directory that still has a kept entry below it is always
 * kept, whatever filter named it, or that entry would have no parent in the archive.
 */
export function filterEntries<T extends FilterSubject>(entries: readonly T[], policy: FilterPolicy): FilterResult<T> {
  const verdicts = new Map<T, Verdict>();
  for (const e of entries) if ((e.type ?? 'file') !== 'dir') verdicts.set(e, judge(e, policy));
  const needed = new Set<string>();
  for (const [e, v] of verdicts) if (!v.drop) for (let p = parentOf(e.path); p !== '/'; p = parentOf(p)) needed.add(p);
  // A kept directory keeps its own parents too.
  const dirs = entries.filter((e) => e.type === 'dir');
  for (const d of dirs) {
    const v = judge({ ...d, emptyDir: !needed.has(d.path) }, policy);
    verdicts.set(d, v);
  }
  for (const d of dirs) {
    if (!verdicts.get(d)!.drop) for (let p = parentOf(d.path); p !== '/'; p = parentOf(p)) needed.add(p);
  }
  const out: FilterResult<T> = { kept: [], dropped: [] };
  for (const e of entries) {
    const v = verdicts.get(e)!;
    if (v.drop && !(e.type === 'dir' && needed.has(e.path))) out.dropped.push({ entry: e, rule: v.rule! });
    else out.kept.push(e);
  }
  return out;
}

// ---- mezzotint's CLI flags -----------------------------------------------------------

/**
 * mezzotint's "keep this category" flags. In mezzotint (src/main.rs and clidef.rs) a run
 * with --exe removes every category except those flagged; --invert flips each flag, so
 * "--invert --doc" removes only documentation and "--invert" alone removes nothing. With a
 * --profile, only the flags actually given override the profile's list, each inverted by
 * --invert. We do the same, with our default profile standing in for mezzotint's "remove
 * everything" when no profile file is given.
 */
export const CLI_FILTER_FLAGS: Readonly<Record<string, FilterCategory>> = {
  '--l10n': 'l10n',
  '--i18n': 'i18n',
  '--doc': 'doc',
  '--man': 'man',
  '--logs': 'log',
  '--dirs': 'dir',
  '--pic': 'images',
  '--arc': 'archives',
};

export interface FilterFlags {
  /** Categories named by flags (--doc -> 'doc'). */
  named: readonly FilterCategory[];
  invert: boolean;
  /** Whether a profile file was given (otherwise `base` is the built-in default). */
  profileFile: boolean;
}

/** The categories to remove, given the profile's list and the CLI flags. */
export function resolveFilters(base: readonly FilterCategory[], flags: FilterFlags): FilterCategory[] {
  // --invert without a profile: only the named categories are removed.
  const out = new Set<FilterCategory>(flags.invert && !flags.profileFile ? [] : base);
  for (const c of flags.named) {
    if (flags.invert) out.add(c);
    else out.delete(c);
  }
  return FILTER_CATEGORIES.filter((c) => out.has(c));
}
