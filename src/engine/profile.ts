// Profiles: mezzotint-compatible YAML describing what to lift out of a rootfs.
//
//   targets:  [/usr/bin/ffmpeg]            programs to compose
//   packages: [fontconfig-config, -perl]   "pkg"/"+pkg" adds a package's files, "-pkg" keeps one out
//   config:
//     filters: [doc, man, l10n]            categories to REMOVE (see filters.ts); "all" = every one
//     keep:    [/etc/ssl/**]               globs that are never removed (win over everything)
//     prune:   [/usr/share/bug/**]         globs that are removed
//   hooks: {before: ..., after: ...}       accepted, never run: we do not execute profile code
//
// Anything else, or a value of the wrong type, is an error naming the file, the line and
// the key; a profile never half-applies.
import { promises as fsp } from 'node:fs';
import picomatch from 'picomatch';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ComposeError, ioError } from './errors';
import { FILTER_CATEGORIES, type FilterCategory } from './filters';

export interface Profile {
  /** Host path of the YAML file; undefined for the built-in default. */
  source?: string;
  targets: string[];
  packages: { add: string[]; remove: string[] };
  /** Categories removed from the archive. */
  filters: FilterCategory[];
  keep: string[];
  prune: string[];
  /** Hook scripts as written; reported, never executed. */
  hooks: { before?: string; after?: string };
  /** Non-fatal remarks (hooks not run, YAML warnings), each naming file and line. */
  warnings: string[];
}

/**
 * Removed by default: documentation, manual pages, translated messages and log files. No
 * program needs them to run; a program without its translations falls back to its own
 * (English) strings. Kept by default, because programs do read them at run time:
 *  - i18n: compiled locales (C.utf8 is chosen by Python on its own) and charmaps;
 *  - images: GUI programs load their icons;
 *  - archives: compilers and linkers read ".a" static libraries;
 *  - dir: some programs expect an empty directory (a spool, a plugin dir) to exist.
 * Pruned by default: Debian packaging metadata that nothing reads outside packaging tools
 * (lintian overrides, reportbug scripts).
 */
export function defaultProfile(): Profile {
  return {
    targets: [],
    packages: { add: [], remove: [] },
    filters: [...DEFAULT_FILTERS],
    keep: [],
    prune: [...DEFAULT_PRUNE],
    hooks: {},
    warnings: [],
  };
}

const DEFAULT_FILTERS: readonly FilterCategory[] = ['l10n', 'doc', 'man', 'log'];
const DEFAULT_PRUNE: readonly string[] = ['/usr/share/lintian/overrides', '/usr/share/bug'];

/** mezzotint's documentation spells two categories differently ("pic", "arc"). */
const FILTER_ALIASES: Readonly<Record<string, FilterCategory>> = { pic: 'images', arc: 'archives' };

/** Debian and rpm package names, with an optional ":arch". */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._~-]*(:[A-Za-z0-9_-]+)?$/;

export async function loadProfile(file: string): Promise<Profile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw ioError(file, e);
  }
  return parseProfile(text, file);
}

/**
 * Parses a profile. Keys that are absent take the default profile's value (so a profile
 * naming only its targets still drops documentation); a key that is present is used as
 * written, so "filters: []" removes nothing.
 */
export function parseProfile(text: string, file: string): Profile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true });
  const lineOf = (n: Node | null | undefined) => (n?.range ? lines.linePos(n.range[0]).line : 1);
  const fail = (n: Node | null | undefined, key: string, msg: string): never => {
    throw new ComposeError('input', file, `line ${lineOf(n)}: ${key ? key + ': ' : ''}${msg}`);
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0].line ?? 1;
    const msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ComposeError('input', file, `line ${line}: invalid YAML: ${msg}`);
  }
  const profile = defaultProfile();
  profile.source = file;
  for (const w of doc.warnings) profile.warnings.push(`${file}: line ${w.linePos?.[0].line ?? 1}: ${w.message.split('\n')[0]}`);

  const root = resolve(doc, doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) fail(root, '', 'the profile is empty; expected a mapping with targets, packages, config or hooks');
  const top = mapping(doc, root, '', fail, ['targets', 'packages', 'config', 'hooks']);

  if (top.has('targets')) {
    profile.targets = strings(doc, top.get('targets') ?? null, 'targets', fail, (s, n, k) => {
      if (!s.startsWith('/')) fail(n, k, `"${s}" is not an absolute path inside the rootfs`);
    });
  }
  if (top.has('packages')) {
    const add = new Set<string>();
    const remove = new Set<string>();
    strings(doc, top.get('packages') ?? null, 'packages', fail, (s, n, k) => {
      const minus = s.startsWith('-');
      const name = s.startsWith('+') || minus ? s.slice(1) : s;
      if (!PACKAGE_NAME.test(name)) fail(n, k, `"${s}" is not a package name ("pkg" or "+pkg" adds, "-pkg" removes)`);
      if ((minus ? add : remove).has(name)) fail(n, k, `package "${name}" is both added and removed`);
      (minus ? remove : add).add(name);
    });
    profile.packages = { add: [...add], remove: [...remove] };
  }
  if (top.has('config')) {
    const cfgNode = resolve(doc, top.get('config'));
    const cfg = cfgNode === null || (isScalar(cfgNode) && cfgNode.value === null) ? new Map<string, Node | null>() : mapping(doc, cfgNode, 'config', fail, ['filters', 'keep', 'prune']);
    if (cfg.has('filters')) {
      const set = new Set<FilterCategory>();
      strings(doc, cfg.get('filters') ?? null, 'config.filters', fail, (s, n, k) => {
        if (s === 'all') FILTER_CATEGORIES.forEach((c) => set.add(c));
        else if ((FILTER_CATEGORIES as readonly string[]).includes(s)) set.add(s as FilterCategory);
        else if (FILTER_ALIASES[s]) set.add(FILTER_ALIASES[s]);
        else fail(n, k, `unknown filter "${s}"; expected one of ${[...FILTER_CATEGORIES, 'all'].join(', ')}`);
      });
      profile.filters = FILTER_CATEGORIES.filter((c) => set.has(c));
    }
    for (const key of ['keep', 'prune'] as const) {
      if (!cfg.has(key)) continue;
      profile[key] = strings(doc, cfg.get(key) ?? null, `config.${key}`, fail, (s, n, k) => {
        if (!s.startsWith('/')) fail(n, k, `"${s}" must be an absolute path or glob (starting with "/")`);
        try {
          picomatch.makeRe(s, { dot: true });
        } catch (e) {
          fail(n, k, `"${s}" is not a valid glob: ${(e as Error).message}`);
        }
      });
    }
  }
  if (top.has('hooks')) {
    const hNode = resolve(doc, top.get('hooks'));
    const hooks = hNode === null || (isScalar(hNode) && hNode.value === null) ? new Map<string, Node | null>() : mapping(doc, hNode, 'hooks', fail, ['before', 'after']);
    for (const [key, node] of hooks) {
      const v = resolve(doc, node);
      if (!isScalar(v) || typeof v.value !== 'string') fail(v, `hooks.${key}`, 'expected a script (a string)');
      profile.hooks[key as 'before' | 'after'] = (v as { value: string }).value;
      profile.warnings.push(`${file}: line ${lineOf(v)}: hooks.${key} is not executed: the compositor never runs code from a profile or the rootfs`);
    }
  }
  return profile;
}

type Fail = (n: Node | null | undefined, key: string, msg: string) => never;

function resolve(doc: Document, n: unknown): Node | null {
  if (isAlias(n)) return (n.resolve(doc) as Node | undefined) ?? null;
  return (n as Node | null) ?? null;
}

/** A mapping with string keys from `allowed`, each at most once; returns key -> value node. */
function mapping(doc: Document, n: Node | null, key: string, fail: Fail, allowed: string[]): Map<string, Node | null> {
  const m = resolve(doc, n);
  if (!isMap(m)) return fail(m, key, `expected a mapping with keys ${allowed.join(', ')}`);
  const out = new Map<string, Node | null>();
  for (const pair of m.items) {
    const k = pair.key as Node | null;
    const name = isScalar(k) ? String(k.value) : undefined;
    const full = key ? `${key}.${name}` : String(name);
    if (name === undefined || !allowed.includes(name)) {
      fail(k, key, `unknown key ${name === undefined ? '(not a plain scalar)' : `"${name}"`}; expected ${allowed.join(', ')}`);
    }
    if (out.has(name!)) fail(k, full, 'duplicate key');
    out.set(name!, (pair.value as Node | null) ?? null);
  }
  return out;
}

/** A sequence of strings (an empty value counts as an empty list); `check` vets each item. */
function strings(doc: Document, n: Node | null, key: string, fail: Fail, check: (s: string, n: Node, key: string) => void): string[] {
  const s = resolve(doc, n);
  if (s === null || (isScalar(s) && s.value === null)) return [];
  if (!isSeq(s)) return fail(s, key, 'expected a list');
  return s.items.map((item, i) => {
    const v = resolve(doc, item);
    const k = `${key}[${i}]`;
    if (!isScalar(v) || typeof v.value !== 'string' || v.value === '') fail(v ?? s, k, 'expected a non-empty string');
    const str = (v as { value: string }).value;
    check(str, v as Node, k);
    return str;
  });
}
