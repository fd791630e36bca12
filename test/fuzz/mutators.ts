// Structure-aware mutations of ELF files for the fuzzer. A seed file is parsed once (by a
// small trusted parser here, independent of the engine's) so mutations can aim at the
// ELF header, the program headers, PT_INTERP, the dynamic section and its string table.
// A mutation is a list of byte patches plus a final size, so a case can be applied to a
// large file by rewriting a few bytes instead of copying it; `materialize` gives the
// whole mutated file when it has to be saved.

/** sfc32, seeded through splitmix32: small, fast, and the same on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seeds: number[]) {
    let s = 0x6a09e667;
    const mix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (const v of seeds) {
      s = (s ^ Math.imul(v >>> 0, 0x27d4eb2d) ^ Math.floor(v / 0x100000000)) | 0;
      mix();
    }
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (n <= 0) return 0;
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

// ---------------------------------------------------------------------------------------
// Seed layout

export interface Field { offset: number; width: 1 | 2 | 4 | 8; name: string }

export interface PhdrInfo {
  /** File offset of the entry itself. */
  at: number;
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export interface Layout {
  size: number;
  is64: boolean;
  le: boolean;
  ehsize: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: PhdrInfo[];
  interp?: { offset: number; size: number };
  /** The dynamic table: file offset, byte size, and the file offset of each entry. */
  dynamic?: { offset: number; size: number; vaddr: number; entries: { at: number; tag: number; val: number }[] };
  dynstr?: { offset: number; size: number; vaddr: number };
}

export interface Seed {
  name: string;
  data: Buffer;
  layout: Layout;
}

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
const DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_STRSZ = 10, DT_SONAME = 14, DT_RPATH = 15, DT_RUNPATH = 29, DT_FLAGS_1 = 0x6ffffffb;

/** Parses a well-formed seed. Returns undefined for anything that is not plainly ELF. */
export function parseLayout(b: Buffer): Layout | undefined {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(o));
  const phoff = word(is64 ? 32 : 28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const layout: Layout = { size: b.length, is64, le, ehsize: is64 ? 64 : 52, phoff, phentsize, phnum, phdrs: [] };
  if (phoff + phnum * phentsize > b.length) return layout;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    layout.phdrs.push(is64
      ? { at, type: u32(at), offset: word(at + 8), vaddr: word(at + 16), filesz: word(at + 32) }
      : { at, type: u32(at), offset: word(at + 4), vaddr: word(at + 8), filesz: word(at + 16) });
  }
  const interp = layout.phdrs.find((p) => p.type === PT_INTERP);
  if (interp) layout.interp = { offset: interp.offset, size: interp.filesz };
  const dyn = layout.phdrs.find((p) => p.type === PT_DYNAMIC);
  if (dyn && dyn.offset + dyn.filesz <= b.length) {
    const ent = is64 ? 16 : 8;
    const entries: { at: number; tag: number; val: number }[] = [];
    let strtab: number | undefined, strsz: number | undefined;
    for (let o = dyn.offset; o + ent <= dyn.offset + dyn.filesz; o += ent) {
      const tag = word(o), val = word(o + ent / 2);
      entries.push({ at: o, tag, val });
      if (tag === DT_STRTAB) strtab = val;
      if (tag === DT_STRSZ) strsz = val;
      if (tag === DT_NULL) break;
    }
    layout.dynamic = { offset: dyn.offset, size: dyn.filesz, vaddr: dyn.vaddr, entries };
    if (strtab !== undefined && strsz !== undefined) {
      const load = layout.phdrs.find((p) => p.type === PT_LOAD && strtab! >= p.vaddr && strtab! < p.vaddr + p.filesz);
      if (load) layout.dynstr = { offset: load.offset + (strtab - load.vaddr), size: strsz, vaddr: strtab };
    }
  }
  return layout;
}

// ---------------------------------------------------------------------------------------
// Mutations

export interface Patch { offset: number; bytes: Buffer }

export interface Mutation {
  /** Index of the seed in the corpus. */
  seed: number;
  patches: Patch[];
  /** Final file size: smaller truncates, larger appends zeros (patches may fill them). */
  size: number;
  /** What was done, for the crash report. */
  ops: string[];
}

/** Applies a mutation to a copy of the seed's bytes. */
export function materialize(seed: Seed, m: Mutation): Buffer {
  const out = Buffer.alloc(m.size);
  seed.data.copy(out, 0, 0, Math.min(m.size, seed.data.length));
  for (const p of m.patches) {
    if (p.offset >= m.size) continue;
    p.bytes.copy(out, p.offset, 0, Math.min(p.bytes.length, m.size - p.offset));
  }
  return out;
}

/** Encodes an unsigned value of `width` bytes in the seed's byte order (wrapping). */
function encode(value: bigint, width: number, le: boolean): Buffer {
  const b = Buffer.alloc(width);
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width; i++) {
    b[le ? i : width - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

/** Values that tend to break parsers, in the context of one file. */
function interesting(rng: Rng, width: number, size: number, near: number): bigint {
  const max = (1n << BigInt(width * 8)) - 1n;
  const choices: bigint[] = [
    0n, 1n, 2n, 7n, 8n, 16n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x10000n,
    0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, max, max - 1n,
    BigInt(size), BigInt(size) - 1n, BigInt(size) + 1n, BigInt(size) * 2n,
    BigInt(Math.max(0, near)), BigInt(near) + 1n, BigInt(near) - 1n, BigInt(near) + 4096n,
    2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 63n - 1n,
    BigInt(rng.u32()), BigInt(rng.int(size + 1)),
  ];
  return BigInt.asUintN(width * 8, rng.pick(choices));
}

type Op = (s: Seed, rng: Rng, m: Mutation) => void;

function field(m: Mutation, s: Seed, offset: number, width: number, value: bigint, what: string): void {
  m.patches.push({ offset, bytes: encode(value, width, s.layout.le) });
  m.ops.push(`${what}@${offset}=0x${BigInt.asUintN(width * 8, value).toString(16)}`);
}

function randomBytes(m: Mutation, rng: Rng, start: number, len: number, what: string): void {
  if (len <= 0) return;
  const n = rng.range(1, Math.min(8, len));
  for (let i = 0; i < n; i++) {
    const at = start + rng.int(len);
    const v = rng.chance(0.5) ? rng.u32() & 0xff : rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01]);
    m.patches.push({ offset: at, bytes: Buffer.from([v]) });
  }
  m.ops.push(`${what}: ${n} random byte(s) in [${start}, ${start + len})`);
}

function ehdrFields(l: Layout): Field[] {
  const w = l.is64 ? 8 : 4;
  return [
    { offset: 4, width: 1, name: 'EI_CLASS' }, { offset: 5, width: 1, name: 'EI_DATA' },
    { offset: 16, width: 2, name: 'e_type' }, { offset: 18, width: 2, name: 'e_machine' },
    { offset: l.is64 ? 32 : 28, width: w, name: 'e_phoff' },
    { offset: l.is64 ? 54 : 42, width: 2, name: 'e_phentsize' }, { offset: l.is64 ? 56 : 44, width: 2, name: 'e_phnum' },
  ] as Field[];
}

function phdrFields(l: Layout, p: PhdrInfo): Field[] {
  const w = (l.is64 ? 8 : 4) as 4 | 8;
  return l.is64
    ? [{ offset: p.at, width: 4, name: 'p_type' }, { offset: p.at + 8, width: w, name: 'p_offset' },
      { offset: p.at + 16, width: w, name: 'p_vaddr' }, { offset: p.at + 32, width: w, name: 'p_filesz' }]
    : [{ offset: p.at, width: 4, name: 'p_type' }, { offset: p.at + 4, width: w, name: 'p_offset' },
      { offset: p.at + 8, width: w, name: 'p_vaddr' }, { offset: p.at + 16, width: w, name: 'p_filesz' }];
}

function phdrField(l: Layout, p: PhdrInfo, name: 'p_type' | 'p_offset' | 'p_vaddr' | 'p_filesz'): Field {
  return phdrFields(l, p).find((f) => f.name === name)!;
}

const dynPhdr = (l: Layout) => l.phdrs.find((p) => p.type === PT_DYNAMIC);
const wordWidth = (l: Layout) => (l.is64 ? 8 : 4);

const OPS: Record<string, { weight: number; op: Op }> = {
  truncate: {
    weight: 10,
    op: (s, rng, m) => {
      const l = s.layout;
      const marks = [16, l.ehsize, l.phoff, l.phoff + l.phnum * l.phentsize];
      for (const p of l.phdrs) marks.push(p.at + rng.int(l.phentsize));
      if (l.interp) marks.push(l.interp.offset, l.interp.offset + l.interp.size);
      if (l.dynamic) marks.push(l.dynamic.offset, l.dynamic.offset + l.dynamic.size, ...l.dynamic.entries.map((e) => e.at + rng.int(wordWidth(l) * 2)));
      if (l.dynstr) marks.push(l.dynstr.offset, l.dynstr.offset + rng.int(l.dynstr.size + 1), l.dynstr.offset + l.dynstr.size);
      const at = rng.chance(0.75) ? rng.pick(marks) + rng.range(-8, 8) : rng.int(l.size);
      m.size = Math.max(0, Math.min(m.size, at));
      m.ops.push(`truncate to ${m.size}`);
    },
  },
  ehdrRandom: { weight: 6, op: (s, rng, m) => randomBytes(m, rng, 0, s.layout.ehsize, 'ELF header') },
  ehdrField: {
    weight: 8,
    op: (s, rng, m) => {
      const f = rng.pick(ehdrFields(s.layout));
      field(m, s, f.offset, f.width, interesting(rng, f.width, s.layout.size, s.layout.phoff), f.name);
    },
  },
  hugeCount: {
    weight: 5,
    op: (s, rng, m) => {
      const l = s.layout;
      const [f, v] = rng.pick([
        [l.is64 ? 56 : 44, rng.pick([0xffff, 4096, 4097, l.phnum + 1, l.phnum * 64])],
        [l.is64 ? 54 : 42, rng.pick([0xffff, 0x8000, l.phentsize * 2, l.phentsize - 1, 1])],
      ] as [number, number][]);
      field(m, s, f, 2, BigInt(v & 0xffff), 'count');
    },
  },
  phdrRandom: { weight: 6, op: (s, rng, m) => randomBytes(m, rng, s.layout.phoff, Math.min(s.layout.phnum * s.layout.phentsize, s.layout.size - s.layout.phoff), 'program headers') },
  phdrField: {
    weight: 12,
    op: (s, rng, m) => {
      const l = s.layout;
      if (!l.phdrs.length) return;
      const p = rng.pick(l.phdrs);
      const f = rng.pick(phdrFields(l, p));
      const v = f.name === 'p_type' ? BigInt(rng.pick([PT_LOAD, PT_DYNAMIC, PT_INTERP, 0, 6, 0x6474e551, rng.u32()]))
        : interesting(rng, f.width, l.size, f.name === 'p_offset' ? p.offset : f.name === 'p_vaddr' ? p.vaddr : p.filesz);
      field(m, s, f.offset, f.width, v, f.name);
    },
  },
  pastEof: {
    weight: 6,
    op: (s, rng, m) => {
      const l = s.layout;
      const targets = l.phdrs.filter((p) => p.type === PT_INTERP || p.type === PT_DYNAMIC || p.type === PT_LOAD);
      if (!targets.length) return;
      const p = rng.pick(targets);
      if (rng.chance(0.5)) {
        const f = phdrField(l, p, 'p_offset');
        field(m, s, f.offset, f.width, BigInt(l.size - rng.int(Math.min(p.filesz, 64) + 1)), 'offset near EOF');
      } else {
        const f = phdrField(l, p, 'p_filesz');
        field(m, s, f.offset, f.width, BigInt(l.size - p.offset + rng.range(1, 8192)), 'size past EOF');
      }
    },
  },
  overlap: {
    weight: 6,
    op: (s, rng, m) => {
      const l = s.layout;
      const dyn = dynPhdr(l);
      const interp = l.phdrs.find((p) => p.type === PT_INTERP);
      const loads = l.phdrs.filter((p) => p.type === PT_LOAD);
      const choice = rng.int(4);
      if (choice === 0 && dyn) {
        // The dynamic table read from the program headers (or the ELF header) themselves.
        const f = phdrField(l, dyn, 'p_offset');
        field(m, s, f.offset, f.width, BigInt(rng.pick([l.phoff, 0, l.interp?.offset ?? 0])), 'PT_DYNAMIC overlaps headers');
      } else if (choice === 1 && interp && dyn) {
        const f = phdrField(l, interp, 'p_offset');
        field(m, s, f.offset, f.width, BigInt(dyn.offset), 'PT_INTERP overlaps PT_DYNAMIC');
      } else if (choice === 2 && loads.length >= 2) {
        // Two loads claiming the same addresses with different file offsets.
        const [a, b] = [rng.pick(loads), rng.pick(loads)];
        const f = phdrField(l, b, 'p_vaddr');
        field(m, s, f.offset, f.width, BigInt(a.vaddr), 'PT_LOADs overlap');
        if (rng.chance(0.5)) { const g = phdrField(l, b, 'p_filesz'); field(m, s, g.offset, g.width, BigInt(l.size), 'overlapping load size'); }
      } else if (l.phdrs.length >= 2) {
        // Duplicate an entry over another (two PT_DYNAMIC, two PT_INTERP...).
        const [a, b] = [rng.pick(l.phdrs), rng.pick(l.phdrs)];
        const bytes = s.data.subarray(a.at, a.at + l.phentsize);
        m.patches.push({ offset: b.at, bytes: Buffer.from(bytes) });
        m.ops.push(`phdr ${a.at} copied over ${b.at}`);
      }
    },
  },
  dynRandom: {
    weight: 8,
    op: (s, rng, m) => { const d = s.layout.dynamic; if (d) randomBytes(m, rng, d.offset, Math.min(d.size, s.layout.size - d.offset), 'dynamic section'); },
  },
  dynTag: {
    weight: 8,
    op: (s, rng, m) => {
      const d = s.layout.dynamic;
      if (!d?.entries.length) return;
      const e = rng.pick(d.entries);
      const tag = rng.pick([DT_NULL, DT_NEEDED, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH, DT_FLAGS_1, rng.u32(), -1]);
      field(m, s, e.at, wordWidth(s.layout), BigInt(tag), 'd_tag');
    },
  },
  dynVal: {
    weight: 10,
    op: (s, rng, m) => {
      const l = s.layout, d = l.dynamic;
      if (!d?.entries.length) return;
      const e = rng.pick(d.entries.filter((x) => x.tag !== DT_NULL).concat(d.entries));
      const near = l.dynstr?.size ?? e.val;
      field(m, s, e.at + wordWidth(l), wordWidth(l), interesting(rng, wordWidth(l), l.size, rng.chance(0.5) ? near : e.val), 'd_val');
    },
  },
  dynSelfRef: {
    weight: 6,
    op: (s, rng, m) => {
      // DT_STRTAB pointing back at the dynamic table itself, the headers, or its own entry;
      // strings that index into each other.
      const l = s.layout, d = l.dynamic;
      if (!d) return;
      const strtab = d.entries.find((e) => e.tag === DT_STRTAB);
      const w = wordWidth(l);
      if (strtab && rng.chance(0.6)) {
        const load = l.phdrs.find((p) => p.type === PT_LOAD && p.offset <= d.offset && d.offset < p.offset + p.filesz);
        const base = load ? load.vaddr - load.offset : d.vaddr - d.offset;
        const target = rng.pick([d.vaddr, base + l.phoff, base, base + strtab.at, base + (l.interp?.offset ?? 0)]);
        field(m, s, strtab.at + w, w, BigInt(target), 'DT_STRTAB self-reference');
      } else {
        const refs = d.entries.filter((e) => [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(e.tag));
        if (!refs.length) return;
        const a = rng.pick(refs), b = rng.pick(d.entries);
        field(m, s, a.at + w, w, BigInt(b.val), 'string index reuses another value');
      }
    },
  },
  dynNoNull: {
    weight: 5,
    op: (s, rng, m) => {
      // Remove the terminator: the table then runs to the end of its segment (or further).
      const l = s.layout, d = l.dynamic, dyn = dynPhdr(l);
      if (!d || !dyn) return;
      const w = wordWidth(l);
      for (const e of d.entries.filter((x) => x.tag === DT_NULL)) field(m, s, e.at, w, BigInt(rng.pick([DT_NEEDED, DT_SONAME, 0x7fffffff])), 'DT_NULL removed');
      if (rng.chance(0.5)) {
        const f = phdrField(l, dyn, 'p_filesz');
        field(m, s, f.offset, f.width, BigInt(rng.pick([l.size - d.offset, (1 << 20) + 16, 0x7fffffff])), 'PT_DYNAMIC size');
      }
    },
  },
  manyNeeded: {
    weight: 4,
    op: (s, rng, m) => {
      // A dynamic table made (mostly) of DT_NEEDED entries: huge counts of strings.
      const l = s.layout, d = l.dynamic;
      if (!d) return;
      const w = wordWidth(l);
      const keep = d.entries.filter((e) => e.tag === DT_STRTAB || e.tag === DT_STRSZ);
      const count = Math.floor(Math.min(d.size, l.size - d.offset) / (2 * w));
      const table = Buffer.alloc(count * 2 * w);
      const val = BigInt(rng.pick([0, 1, rng.int((l.dynstr?.size ?? 16) + 1)]));
      for (let i = 0; i < count; i++) {
        const k = keep[i];
        const tag = k ? BigInt(k.tag) : 1n;
        const v = k ? BigInt(k.val) : rng.chance(0.2) ? BigInt(rng.int((l.dynstr?.size ?? 16) + 1)) : val;
        encode(tag, w, l.le).copy(table, i * 2 * w);
        encode(v, w, l.le).copy(table, i * 2 * w + w);
      }
      m.patches.push({ offset: d.offset, bytes: table });
      m.ops.push(`dynamic table filled with ${count} entries, mostly DT_NEEDED`);
    },
  },
  stringBomb: {
    weight: 1,
    op: (s, rng, m) => {
      // Thousands of DT_NEEDED entries into long strings without NULs: bounded time and memory?
      const l = s.layout, d = l.dynamic, dyn = dynPhdr(l), str = l.dynstr;
      if (!d || !dyn || !str) return;
      const w = wordWidth(l);
      const count = rng.pick([600, 4096, 4097, 65534]);
      const table = Buffer.alloc((count + 3) * 2 * w);
      const put = (i: number, tag: number, val: number) => {
        encode(BigInt(tag), w, l.le).copy(table, i * 2 * w);
        encode(BigInt(val), w, l.le).copy(table, i * 2 * w + w);
      };
      const span = rng.pick([str.size, 1 << 16, 1 << 24]);
      put(0, DT_STRTAB, str.vaddr);
      put(1, DT_STRSZ, span);
      const stride = rng.pick([0, 1, 7, 2048]);
      for (let i = 0; i < count; i++) put(2 + i, DT_NEEDED, (1 + i * stride) % Math.max(1, Math.min(span, l.size)));
      m.patches.push({ offset: d.offset, bytes: table });
      m.size = Math.max(m.size, d.offset + table.length);
      const f = phdrField(l, dyn, 'p_filesz');
      field(m, s, f.offset, f.width, BigInt(table.length), 'PT_DYNAMIC size');
      if (rng.chance(0.7)) m.patches.push({ offset: str.offset, bytes: Buffer.alloc(Math.min(1 << 16, Math.max(0, d.offset - str.offset)), 0x41) });
      m.ops.push(`string bomb: ${count} DT_NEEDED, stride ${stride}, DT_STRSZ ${span}`);
    },
  },
  strNoNul: {
    weight: 6,
    op: (s, rng, m) => {
      const l = s.layout, str = l.dynstr, d = l.dynamic;
      if (!str || !d) return;
      if (rng.chance(0.5)) {
        // Every NUL in (part of) the string table replaced: no string ends.
        const len = Math.min(str.size, l.size - str.offset, rng.chance(0.5) ? 4096 : str.size);
        const bytes = Buffer.from(s.data.subarray(str.offset, str.offset + len));
        for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bytes[i] = 0x41;
        m.patches.push({ offset: str.offset, bytes });
        m.ops.push(`NULs removed from ${len} bytes of the string table`);
      } else {
        // DT_STRSZ ends the table in the middle of a string.
        const sz = d.entries.find((e) => e.tag === DT_STRSZ);
        if (!sz) return;
        const w = wordWidth(l);
        const refs = d.entries.filter((e) => [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(e.tag));
        const ref = refs.length ? rng.pick(refs).val + 1 : rng.int(str.size);
        field(m, s, sz.at + w, w, BigInt(ref), 'DT_STRSZ cuts a string');
      }
    },
  },
  interpNoNul: {
    weight: 3,
    op: (s, rng, m) => {
      const i = s.layout.interp;
      if (!i) return;
      m.patches.push({ offset: i.offset, bytes: Buffer.alloc(Math.min(i.size, s.layout.size - i.offset), rng.pick([0x41, 0x2f, 0xff])) });
      m.ops.push('PT_INTERP without NUL');
    },
  },
  append: {
    weight: 3,
    op: (s, rng, m) => {
      const n = rng.range(1, 4096);
      m.patches.push({ offset: m.size, bytes: rng.bytes(n) });
      m.size += n;
      m.ops.push(`${n} bytes appended`);
    },
  },
  anywhere: { weight: 3, op: (s, rng, m) => randomBytes(m, rng, 0, s.layout.size, 'anywhere') },
};

const OP_NAMES = Object.keys(OPS);
const TOTAL_WEIGHT = OP_NAMES.reduce((n, k) => n + OPS[k].weight, 0);

export const OPERATIONS: readonly string[] = OP_NAMES;

function pickOp(rng: Rng, only?: readonly string[]): Op {
  const names = only?.length ? OP_NAMES.filter((k) => only.includes(k)) : OP_NAMES;
  const total = only?.length ? names.reduce((n, k) => n + OPS[k].weight, 0) : TOTAL_WEIGHT;
  let r = rng.int(total);
  for (const k of names) {
    r -= OPS[k].weight;
    if (r < 0) return OPS[k].op;
  }
  return OPS.truncate.op;
}

/** One mutation of one seed, chosen by `rng`: one to four stacked operations (from `only`, when given). */
export function mutate(corpus: Seed[], rng: Rng, only?: readonly string[]): Mutation {
  const seedIndex = rng.int(corpus.length);
  const seed = corpus[seedIndex];
  const m: Mutation = { seed: seedIndex, patches: [], size: seed.data.length, ops: [] };
  const n = rng.chance(0.5) ? 1 : rng.range(2, 4);
  for (let i = 0; i < n; i++) pickOp(rng, only)(seed, rng, m);
  // Patches past the final size (after a truncation) are dropped when applied.
  return m;
}

/** The generator for case `index` of a run with `seed`: each case is reproducible alone. */
export function caseRng(seed: number, index: number): Rng {
  return new Rng(seed, index);
}
