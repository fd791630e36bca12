// Parsers for the files dpkg keeps under var/lib/dpkg (status, diversions, alternatives)
// and the small helpers for dpkg's package and architecture names.
import { ComposeError } from '../errors';
import type { Alternative, Relation } from './database';

/**
 * Package states whose files are unpacked and configured. "hold ok installed" and
 * "deinstall ok installed" are installed too: the first word is only the wanted action.
 */
const INSTALLED_STATES = new Set(['installed', 'triggers-pending', 'triggers-awaited']);

/** One installed package instance (one per architecture for Multi-Arch: same). */
export interface Instance {
  /** "name" or, for Multi-Arch: same, "name:arch" (how dpkg names its info files too). */
  id: string;
  name: string;
  version: string;
  arch: string;
  multiArch?: string;
  section?: string;
  /** The source package ("Source:" without its version; the package's own name when absent). */
  source: string;
  /** "Essential: yes": every package implicitly depends on it, so none declares it. */
  essential: boolean;
  preDepends: Relation[][];
  depends: Relation[][];
  recommends: Relation[][];
  provides: Relation[];
}

/** A dpkg-divert record: packages other than `by` that ship `from` have it written to `to`. */
export interface Diversion {
  from: string;
  to: string;
  /** The diverting package; undefined for a local (administrator) diversion. */
  by?: string;
}

// ---- parsers (exported for tests and for the rpm side to mirror) -------------------------

/** Parses var/lib/dpkg/status into installed package instances. */
export function parseStatus(text: string, file: string): Instance[] {
  const out: Instance[] = [];
  for (const { fields, line } of paragraphs(text, file)) {
    const status = (fields.get('status') ?? '').split(/\s+/);
    if (status.length !== 3 || status[1] !== 'ok' || !INSTALLED_STATES.has(status[2])) continue;
    const name = fields.get('package');
    if (!name) throw new ComposeError('input', file, `line ${line}: installed entry without a Package field`);
    const arch = fields.get('architecture') ?? 'all';
    const multiArch = fields.get('multi-arch');
    const where = `line ${line} (${name})`;
    const rels = (f: string) => parseRelations(fields.get(f), file, where);
    const section = fields.get('section');
    out.push({
      id: multiArch === 'same' ? `${name}:${arch}` : name,
      name,
      version: fields.get('version') ?? '',
      arch,
      multiArch,
      // "contrib/doc" and "non-free/doc" are still the doc section.
      section: section?.slice(section.lastIndexOf('/') + 1),
      source: (fields.get('source') ?? name).split(/\s/)[0],
      essential: fields.get('essential') === 'yes',
      preDepends: rels('pre-depends'),
      depends: rels('depends'),
      recommends: rels('recommends'),
      provides: rels('provides').flat(),
    });
  }
  return out;
}

/** The status fields we use; the rest (long Descriptions, Conffiles) is skipped unstored. */
const STATUS_FIELDS = new Set([
  'package', 'status', 'version', 'architecture', 'multi-arch', 'section', 'source', 'essential',
  'depends', 'pre-depends', 'recommends', 'provides',
]);

/** Splits a deb822 text into paragraphs of lower-cased fields (continuation lines joined). */
function* paragraphs(text: string, file: string): Generator<{ fields: Map<string, string>; line: number }> {
  let fields: Map<string, string> | undefined;
  let start = 0;
  let last: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '') {
      if (fields) yield { fields, line: start };
      fields = undefined;
      last = undefined;
    } else if (l[0] === ' ' || l[0] === '\t') {
      if (!fields || !last) throw new ComposeError('input', file, `line ${i + 1}: continuation line outside a field`);
      if (STATUS_FIELDS.has(last)) fields.set(last, fields.get(last) + '\n' + l.trim());
    } else {
      const c = l.indexOf(':');
      if (c <= 0) throw new ComposeError('input', file, `line ${i + 1}: expected "Field: value"`);
      if (!fields) {
        fields = new Map();
        start = i + 1;
      }
      last = l.slice(0, c).toLowerCase();
      if (STATUS_FIELDS.has(last)) fields.set(last, l.slice(c + 1).trim());
    }
  }
  if (fields) yield { fields, line: start };
}

const RELATION =
  /^([A-Za-z0-9][A-Za-z0-9+.\-_]*)(?::([A-Za-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^\s)]+)\s*\))?\s*(?:\[[^\]]*\]\s*)?(?:<[^>]*>\s*)*$/;

/** Parses "a (>= 1) | b:any, c" into groups of alternatives. */
export function parseRelations(field: string | undefined, file: string, where: string): Relation[][] {
  if (!field) return [];
  return field
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g.length > 0)
    .map((g) =>
      g.split('|').map((alt) => {
        const m = RELATION.exec(alt.trim());
        if (!m) throw new ComposeError('input', file, `${where}: cannot parse dependency "${alt.trim()}"`);
        const rel: Relation = { name: m[1] };
        if (m[2]) rel.arch = m[2];
        if (m[3]) {
          // "<" and ">" are the obsolete spellings of "<=" and ">=".
          rel.op = m[3] === '<' ? '<=' : m[3] === '>' ? '>=' : (m[3] as Relation['op']);
          rel.version = m[4];
        }
        return rel;
      }),
    );
}

/** Parses var/lib/dpkg/diversions: records of three lines (from, to, package or ":"). */
export function parseDiversions(text: string, file: string): Diversion[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length % 3 !== 0) {
    throw new ComposeError('input', file, `${lines.length} lines: expected records of three lines (from, to, package)`);
  }
  const out: Diversion[] = [];
  for (let i = 0; i < lines.length; i += 3) {
    const by = lines[i + 2];
    out.push({ from: lines[i], to: lines[i + 1], by: by === ':' ? undefined : by });
  }
  return out;
}

/**
 * Parses one var/lib/dpkg/alternatives/<name> file: mode, master link, then pairs of
 * (slave name, slave link) up to an empty line, then for each choice its path, priority
 * and one line per slave (empty when the choice has no such slave), up to an empty line.
 */
export function parseAlternative(name: string, text: string, file: string): Alternative {
  const lines = text.split('\n');
  let i = 0;
  const next = (what: string) => {
    if (i >= lines.length) throw new ComposeError('input', file, `line ${i + 1}: missing ${what}`);
    return lines[i++];
  };
  const mode = next('mode');
  if (mode !== 'auto' && mode !== 'manual') {
    throw new ComposeError('input', file, `line 1: mode is "${mode}", expected auto or manual`);
  }
  const alt: Alternative = { name, link: next('link'), mode, slaves: [], choices: [] };
  for (let s = next('slave name'); s !== ''; s = next('slave name')) alt.slaves.push({ name: s, link: next('slave link') });
  while (i < lines.length) {
    const p = next('choice');
    if (p === '') break;
    const prioLine = i + 1;
    const prio = next('priority');
    if (!/^-?\d+$/.test(prio)) throw new ComposeError('input', file, `line ${prioLine}: priority "${prio}" is not an integer`);
    const priority = Number(prio);
    const slaves: Record<string, string> = {};
    for (const s of alt.slaves) {
      const v = next(`slave value for ${s.name}`);
      if (v) slaves[s.name] = v;
    }
    alt.choices.push({ path: p, priority, slaves });
  }
  return alt;
}

// ---- names and architectures --------------------------------------------------------

export function relationName(r: Relation): string {
  return r.arch ? `${r.name}:${r.arch}` : r.name;
}

export function splitArch(s: string): [string, string | undefined] {
  const c = s.indexOf(':');
  return c < 0 ? [s, undefined] : [s.slice(0, c), s.slice(c + 1)];
}

/** dpkg's own architecture is the native one; fall back to the most common. */
export function nativeArch(insts: Instance[]): string {
  const dpkg = insts.find((i) => i.name === 'dpkg');
  if (dpkg && dpkg.arch !== 'all') return dpkg.arch;
  const count = new Map<string, number>();
  for (const i of insts) if (i.arch !== 'all') count.set(i.arch, (count.get(i.arch) ?? 0) + 1);
  return [...count].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'all';
}
