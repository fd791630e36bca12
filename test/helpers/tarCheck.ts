// Independent checks of written archives. `readTarGz` is a small tar reader (ustar, pax
// and GNU long names) that keeps member names as raw bytes, so a test can compare them
// byte for byte; `assertArchiveSafe` holds every archive to the safety rules of the
// issue; `gnuTarRoundTrip` extracts with GNU tar and compares with the rootfs.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface Member {
  /** Raw name bytes (trailing slash of directories removed). */
  name: Buffer;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  typeflag: string;
  size: number;
  mode: number;
  linkname: Buffer;
  /** Content of regular files. */
  data?: Buffer;
}

const str = (b: Buffer) => b.toString('latin1');

function cstr(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return Buffer.from(nul < 0 ? b : b.subarray(0, nul));
}

function octal(b: Buffer): number {
  if (b[0] & 0x80) {
    // base-256 (GNU) for large values
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    return v;
  }
  const t = cstr(b).toString('latin1').trim();
  return t ? parseInt(t, 8) : 0;
}

/** Parses pax records ("LEN key=value\n"), values as raw bytes. */
function paxRecords(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(body.subarray(i, sp).toString('latin1'), 10);
    if (!(len > 0)) break;
    const rec = body.subarray(sp + 1, i + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    out.set(rec.subarray(0, eq).toString('latin1'), Buffer.from(rec.subarray(eq + 1)));
    i += len;
  }
  return out;
}

/** Reads a .tar.gz; throws on a corrupt gzip stream, a bad checksum or a truncated member. */
export function readTarGz(file: string): Member[] {
  const tar = gunzipSync(fs.readFileSync(file));
  const out: Member[] = [];
  let off = 0;
  let pax = new Map<string, Buffer>();
  let longName: Buffer | undefined, longLink: Buffer | undefined;
  let ended = false;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) {
      ended = true;
      break;
    }
    const sum = octal(h.subarray(148, 156));
    let calc = 0;
    for (let i = 0; i < 512; i++) calc += i >= 148 && i < 156 ? 0x20 : h[i];
    assert.equal(calc, sum, `bad header checksum at offset ${off}`);
    const typeflag = String.fromCharCode(h[156] || 0x30);
    let size = octal(h.subarray(124, 136));
    if (pax.has('size')) size = Number(str(pax.get('size')!));
    const dataStart = off + 512;
    assert.ok(dataStart + size <= tar.length, `member at ${off} runs past the end of the archive`);
    const data = tar.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (typeflag === 'x') { pax = new Map([...pax, ...paxRecords(data)]); continue; }
    if (typeflag === 'g') continue;
    if (typeflag === 'L') { longName = cstr(data); continue; }
    if (typeflag === 'K') { longLink = cstr(data); continue; }
    const magic = h.subarray(257, 263).toString('latin1');
    let name = cstr(h.subarray(0, 100));
    if (magic.startsWith('ustar')) {
      const prefix = cstr(h.subarray(345, 500));
      if (prefix.length) name = Buffer.concat([prefix, Buffer.from('/'), name]);
    }
    name = pax.get('path') ?? longName ?? name;
    const linkname = pax.get('linkpath') ?? longLink ?? cstr(h.subarray(157, 257));
    if (name.length > 1 && name[name.length - 1] === 0x2f) name = name.subarray(0, name.length - 1);
    const type = typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'symlink' : typeflag === '1' ? 'hardlink' : 'other';
    out.push({ name: Buffer.from(name), type, typeflag, size, mode: octal(h.subarray(100, 108)), linkname: Buffer.from(linkname), ...(type === 'file' ? { data: Buffer.from(data) } : {}) });
    pax = new Map();
    longName = longLink = undefined;
  }
  assert.ok(ended, 'archive has no end-of-archive blocks (truncated?)');
  return out;
}

/**
 * The safety rules every written archive must meet: no absolute member, no `..`
 * component, no member under a path that another member makes a symlink, hard links
 * only to earlier members, no duplicate names.
 */
export function assertArchiveSafe(members: Member[]): void {
  const seen = new Set<string>();
  const symlinks = new Set<string>();
  for (const m of members) {
    const n = str(m.name);
    assert.ok(!n.startsWith('/'), `absolute member ${JSON.stringify(n)}`);
    assert.ok(!n.split('/').includes('..'), `member with "..": ${JSON.stringify(n)}`);
    assert.ok(n.length > 0 && n !== '.', 'member with an empty name');
    assert.ok(!seen.has(n), `duplicate member ${JSON.stringify(n)}`);
    seen.add(n);
    if (m.type === 'symlink') symlinks.add(n);
    if (m.type === 'hardlink') {
      const l = str(m.linkname);
      assert.ok(seen.has(l) && !l.startsWith('/') && !l.split('/').includes('..'), `hard link ${JSON.stringify(n)} -> ${JSON.stringify(l)} does not name an earlier member`);
    }
  }
  for (const n of seen) {
    const parts = n.split('/');
    for (let i = 1; i < parts.length; i++) {
      const above = parts.slice(0, i).join('/');
      assert.ok(!symlinks.has(above), `member ${JSON.stringify(n)} lies under the symlink member ${JSON.stringify(above)}`);
    }
  }
}

/** Reads an archive, checks it with our reader and with GNU tar, and returns its members. */
export function checkArchive(file: string): Member[] {
  const members = readTarGz(file);
  assertArchiveSafe(members);
  const t = spawnSync('tar', ['-tzf', file], { encoding: 'latin1' });
  assert.equal(t.status, 0, `GNU tar cannot list ${file}: ${t.stderr}`);
  return members;
}

export function memberNames(members: Member[]): string[] {
  return members.map((m) => str(m.name));
}

/**
 * Extracts with GNU tar into a fresh dir and compares every member with the rootfs file
 * of the same name: type, bytes, link text; hard links must share an inode. Names are
 * handled as bytes throughout.
 */
export function gnuTarRoundTrip(file: string, root: string): { members: Member[] } {
  const members = checkArchive(file);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-extract-'));
  try {
    compareExtracted(file, root, dest, members);
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
  return { members };
}

function compareExtracted(file: string, root: string, dest: string, members: Member[]): void {
  const x = spawnSync('tar', ['-xzf', file, '-C', dest, '--numeric-owner'], { encoding: 'latin1', env: { ...process.env, LC_ALL: 'C' } });
  assert.equal(x.status, 0, `GNU tar -x failed: ${x.stderr}`);
  // GNU tar's own listing must name the same members, byte for byte.
  const listed = spawnSync('tar', ['-tzf', file, '--quoting-style=literal'], { env: { ...process.env, LC_ALL: 'C' } });
  const names = (listed.stdout as Buffer).toString('latin1').split('\n').filter(Boolean).map((n) => n.replace(/\/$/, ''));
  // (a name with a newline spans lines in a literal listing, so compare the joined text)
  assert.equal(names.join('\n'), memberNames(members).join('\n'), 'GNU tar lists other names than the archive holds');
  const at = (base: string, name: Buffer) => Buffer.concat([Buffer.from(base + '/'), name]);
  for (const m of members) {
    const got = at(dest, m.name), want = at(root, m.name);
    const gs = fs.lstatSync(got);
    const ws = fs.lstatSync(want);
    if (m.type === 'file') {
      assert.ok(gs.isFile(), `${str(m.name)} is not a file after extraction`);
      assert.ok(fs.readFileSync(got).equals(fs.readFileSync(want)), `${str(m.name)}: content differs`);
      assert.equal(gs.mode & 0o7777, ws.mode & 0o7777, `${str(m.name)}: mode differs`);
    } else if (m.type === 'dir') {
      assert.ok(gs.isDirectory(), `${str(m.name)} is not a directory after extraction`);
    } else if (m.type === 'symlink') {
      assert.ok(gs.isSymbolicLink(), `${str(m.name)} is not a symlink after extraction`);
      assert.ok(fs.readlinkSync(got, { encoding: 'buffer' }).equals(m.linkname), `${str(m.name)}: link text differs`);
    } else if (m.type === 'hardlink') {
      const first = fs.lstatSync(at(dest, m.linkname));
      assert.equal(gs.ino, first.ino, `${str(m.name)} is not a hard link to ${str(m.linkname)} after extraction`);
      assert.ok(fs.readFileSync(got).equals(fs.readFileSync(want)), `${str(m.name)}: content differs`);
    }
  }
}
