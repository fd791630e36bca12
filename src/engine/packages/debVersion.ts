// Debian version comparison, as dpkg does it (deb-version(7)).
import type { Relation } from './database';

// ---- Debian versions ------------------------------------------------------------------

/** Compares Debian versions ([epoch:]upstream[-revision]) as dpkg does: <0, 0 or >0. */
export function compareDebianVersions(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  return pa.epoch - pb.epoch || compareFragment(pa.upstream, pb.upstream) || compareFragment(pa.revision, pb.revision);
}

export function versionSatisfies(version: string, op: NonNullable<Relation['op']>, ref: string): boolean {
  const c = compareDebianVersions(version, ref);
  switch (op) {
    case '<<': return c < 0;
    case '<=': return c <= 0;
    case '=': return c === 0;
    case '>=': return c >= 0;
    case '>>': return c > 0;
  }
}

function splitVersion(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(':');
  const epoch = colon > 0 ? Number(v.slice(0, colon)) || 0 : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

const isDigit = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/** Sort weight of a non-digit character: "~" before the end, letters before other symbols. */
function weight(s: string, i: number): number {
  if (i >= s.length || isDigit(s, i)) return 0;
  const c = s.charCodeAt(i);
  if (c === 126) return -1;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  return c + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a, i)) || (j < b.length && !isDigit(b, j))) {
      const d = weight(a, i) - weight(b, j);
      if (d) return d;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let first = 0;
    while (isDigit(a, i) && isDigit(b, j)) {
      if (!first) first = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a, i)) return 1;
    if (isDigit(b, j)) return -1;
    if (first) return first;
  }
  return 0;
}
