// Synthetic ELF objects for tests: just the parts the engine reads (ELF header, program
// headers, PT_INTERP, PT_DYNAMIC and its string table), laid out in one PT_LOAD. They do
// not run; they let a test build a rootfs of any shape in milliseconds, in any ELF class
// and byte order.

export interface ElfSpec {
  class?: 32 | 64;
  endian?: 'le' | 'be';
  /** e_machine; 62 (x86-64) by default. */
  machine?: number;
  /** e_type: 2 EXEC, 3 DYN (default). */
  type?: number;
  interp?: string;
  /** DT_NEEDED strings; given as Buffers they are written byte for byte. */
  needed?: (string | Buffer)[];
  soname?: string | Buffer;
  rpath?: string | Buffer;
  runpath?: string | Buffer;
  flags1?: number;
  /** Bytes appended after the tables (file body); a number gives that many pseudo-random bytes. */
  body?: Buffer | number;
  /** Omit PT_DYNAMIC (a static executable). */
  noDynamic?: boolean;
}

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, SONAME: 14, RPATH: 15, RUNPATH: 29, FLAGS_1: 0x6ffffffb };

/** Builds an ELF file image from a spec. */
export function buildElf(spec: ElfSpec = {}): Buffer {
  const is64 = (spec.class ?? 64) === 64;
  const le = (spec.endian ?? 'le') === 'le';
  const type = spec.type ?? 3;
  const base = type === 2 ? (is64 ? 0x400000 : 0x8048000) : 0;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dynent = is64 ? 16 : 8;
  const word = is64 ? 8 : 4;

  // String table: index 0 is the empty string, as linkers write it.
  const strs: Buffer[] = [Buffer.alloc(1)];
  let strLen = 1;
  const addStr = (s: string | Buffer): number => {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
    const at = strLen;
    strs.push(b, Buffer.alloc(1));
    strLen += b.length + 1;
    return at;
  };
  const dyn: [number, number][] = [];
  for (const n of spec.needed ?? []) dyn.push([DT.NEEDED, addStr(n)]);
  if (spec.soname !== undefined) dyn.push([DT.SONAME, addStr(spec.soname)]);
  if (spec.rpath !== undefined) dyn.push([DT.RPATH, addStr(spec.rpath)]);
  if (spec.runpath !== undefined) dyn.push([DT.RUNPATH, addStr(spec.runpath)]);
  if (spec.flags1 !== undefined) dyn.push([DT.FLAGS_1, spec.flags1]);
  const dynstr = Buffer.concat(strs);
  const interp = spec.interp !== undefined ? Buffer.concat([Buffer.from(spec.interp, 'utf8'), Buffer.alloc(1)]) : undefined;

  const phnum = (interp ? 1 : 0) + 1 + (spec.noDynamic ? 0 : 1);
  let off = ehsize + phnum * phentsize;
  const interpOff = off;
  off += interp?.length ?? 0;
  const strOff = off;
  off += dynstr.length;
  off = align(off, word);
  const dynOff = off;
  dyn.push([DT.STRTAB, base + strOff], [DT.STRSZ, dynstr.length], [DT.NULL, 0]);
  const dynSize = spec.noDynamic ? 0 : dyn.length * dynent;
  off += dynSize;
  const body = typeof spec.body === 'number' ? pseudoRandom(spec.body) : spec.body ?? Buffer.alloc(0);
  const bodyOff = off;
  const total = off + body.length;

  const out = Buffer.alloc(total);
  const w = writer(out, le, is64);
  out.writeUInt32BE(0x7f454c46, 0);
  out[4] = is64 ? 2 : 1;
  out[5] = le ? 1 : 2;
  out[6] = 1;
  w.u16(16, type);
  w.u16(18, spec.machine ?? 62);
  w.u32(20, 1);
  w.word(24, base + 0x1000); // e_entry (never used)
  w.word(is64 ? 32 : 28, ehsize); // e_phoff
  w.u16(is64 ? 52 : 40, ehsize);
  w.u16(is64 ? 54 : 42, phentsize);
  w.u16(is64 ? 56 : 44, phnum);
  w.u16(is64 ? 58 : 46, is64 ? 64 : 40);

  let ph = ehsize;
  const phdr = (ptype: number, offset: number, size: number, flags: number) => {
    w.u32(ph, ptype);
    if (is64) {
      w.u32(ph + 4, flags);
      w.word(ph + 8, offset);
      w.word(ph + 16, base + offset);
      w.word(ph + 24, base + offset);
      w.word(ph + 32, size);
      w.word(ph + 40, size);
      w.word(ph + 48, ptype === PT_LOAD ? 0x1000 : word);
    } else {
      w.u32(ph + 4, offset);
      w.u32(ph + 8, base + offset);
      w.u32(ph + 12, base + offset);
      w.u32(ph + 16, size);
      w.u32(ph + 20, size);
      w.u32(ph + 24, flags);
      w.u32(ph + 28, ptype === PT_LOAD ? 0x1000 : word);
    }
    ph += phentsize;
  };
  if (interp) phdr(PT_INTERP, interpOff, interp.length, 4);
  phdr(PT_LOAD, 0, total, 5);
  if (!spec.noDynamic) phdr(PT_DYNAMIC, dynOff, dynSize, 6);

  interp?.copy(out, interpOff);
  dynstr.copy(out, strOff);
  if (!spec.noDynamic) {
    dyn.forEach(([tag, val], i) => {
      w.word(dynOff + i * dynent, tag);
      w.word(dynOff + i * dynent + word, val);
    });
  }
  body.copy(out, bodyOff);
  return out;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function writer(b: Buffer, le: boolean, is64: boolean) {
  const u16 = (o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (o: number, v: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const word = (o: number, v: number) => {
    if (!is64) return u32(o, v);
    return le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o);
  };
  return { u16, u32, word };
}

/** Incompressible but reproducible bytes (xorshift32). */
export function pseudoRandom(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= n; i += 4) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (let i = n - (n % 4); i < n; i++) out[i] = (i * 131) & 0xff;
  return out;
}
