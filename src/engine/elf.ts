// ELF reader: just what the loader emulation needs, read with positioned reads so a
// 60 MB library costs a few kilobytes of I/O. Every malformation becomes an ElfError
// naming the file; nothing here trusts a count, offset or size taken from the file.
import { promises as fsp, constants as C } from 'node:fs';
import { ElfError } from './errors';
import { machineName } from './elfMachines';
import { decodeName, encodeName } from './rootfs';

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DF_1_NODEFLIB = 0x800;
export const DF_1_PIE = 0x08000000;

// Bounds that no sane object exceeds; they keep hostile input from costing unbounded
// memory or time (the fuzzer relies on them).
const MAX_PHNUM = 4096;
const MAX_DYNAMIC_BYTES = 1 << 20;
const MAX_INTERP = 4096;
const MAX_STRING = 64 * 1024;
/** Longest DT_NEEDED/DT_SONAME worth reading: a longer name cannot be opened (PATH_MAX). */
const MAX_NAME = 4096;
/** More DT_NEEDED entries than any real object has; keeps a hostile table from costing minutes. */
const MAX_NEEDED = 4096;
const MAX_PHENTSIZE = 1024;
/** String-table span read in one go to answer every lookup from memory. */
const STRTAB_WINDOW = 4 << 20;

export interface ElfInfo {
  /** Path used in messages (rootfs path when known). */
  file: string;
  class: 32 | 64;
  endian: 'le' | 'be';
  osabi: number;
  /** e_type: 1 REL, 2 EXEC, 3 DYN, 4 CORE. */
  type: number;
  machine: number;
  interp?: string;
  /** True when the object has a PT_DYNAMIC segment. */
  dynamic: boolean;
  needed: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  flags1: number;
}

export function describe(info: ElfInfo): string {
  const kind = info.type === 2 || (info.type === 3 && isExecutable(info)) ? 'executable'
    : info.type === 3 ? 'shared object' : info.type === 1 ? 'relocatable' : info.type === 4 ? 'core file' : `type ${info.type}`;
  return `ELF ${info.class}-bit ${machineName(info.machine)} ${kind}`;
}

/** A PIE executable is ET_DYN too; DF_1_PIE or an interpreter without a SONAME tells them apart. */
export function isExecutable(info: ElfInfo): boolean {
  if (info.type === 2) return true;
  if (info.type !== 3) return false;
  if (info.flags1 & DF_1_PIE) return true;
  return info.interp !== undefined && info.soname === undefined;
}

/** Cheap sniff of the first bytes: "elf", "script" (#!) or "other". */
export async function sniff(hostPath: string): Promise<{ kind: 'elf' | 'script' | 'other'; head: Buffer }> {
  const fh = await openRegular(hostPath, hostPath);
  try {
    const head = Buffer.alloc(256);
    const { bytesRead } = await fh.read(head, 0, 256, 0);
    const b = head.subarray(0, bytesRead);
    if (bytesRead >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return { kind: 'elf', head: b };
    if (bytesRead >= 2 && b[0] === 0x23 && b[1] === 0x21) return { kind: 'script', head: b };
    return { kind: 'other', head: b };
  } finally {
    await fh.close();
  }
}

/**
 * Opens a file for reading without ever blocking: O_NONBLOCK makes opening a FIFO return
 * at once, and the fstat check then refuses anything that is not a regular file.
 */
async function openRegular(hostPath: string, shown: string): Promise<fsp.FileHandle> {
  const fail = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    return new ElfError(shown, code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'does not exist' : `cannot open (${code ?? e})`);
  };
  const notRegular = (st: { isDirectory(): boolean }) =>
    new ElfError(shown, st.isDirectory() ? 'is a directory, not an ELF file' : 'is a special file (FIFO, socket or device), not opened');
  // stat first: opening a device can have side effects even with O_NONBLOCK (a watchdog, a tape).
  const pre = await fsp.stat(encodeName(hostPath)).catch((e) => { throw fail(e); });
  if (!pre.isFile()) throw notRegular(pre);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(encodeName(hostPath), C.O_RDONLY | C.O_NONBLOCK | C.O_NOCTTY);
  } catch (e) {
    throw fail(e);
  }
  // ...and fstat after, in case the path was swapped in between.
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notRegular(st);
  }
  return fh;
}

class Reader {
  constructor(private fh: fsp.FileHandle, readonly size: number, private file: string, readonly le: boolean, readonly is64: boolean) {}

  async bytes(offset: number, length: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new ElfError(this.file, `${what} (offset ${offset}, ${length} bytes) lies outside the file (${this.size} bytes)`);
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new ElfError(this.file, `${what}: file shrank while being read`);
      done += bytesRead;
    }
    return buf;
  }

  u16(b: Buffer, o: number): number { return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o); }
  u32(b: Buffer, o: number): number { return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o); }
  /** Native-width word; 64-bit values beyond 2^53 cannot be valid offsets and become NaN-safe sentinels. */
  word(b: Buffer, o: number): number {
    if (!this.is64) return this.u32(b, o);
    const v = this.le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  sword(b: Buffer, o: number): number {
    if (!this.is64) return this.le ? b.readInt32LE(o) : b.readInt32BE(o);
    const v = this.le ? b.readBigInt64LE(o) : b.readBigInt64BE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER) ? -1 : Number(v);
  }
}

interface Phdr { type: number; offset: number; vaddr: number; filesz: number }

/** Reads the ELF header, program headers, PT_INTERP and the dynamic section of one file. */
export async function readElf(hostPath: string, shown: string = hostPath): Promise<ElfInfo> {
  const fh = await openRegular(hostPath, shown);
  try {
    const size = (await fh.stat()).size;
    return await parse(fh, size, shown);
  } finally {
    await fh.close();
  }
}

async function parse(fh: fsp.FileHandle, size: number, file: string): Promise<ElfInfo> {
  if (size < 16) throw new ElfError(file, size === 0 ? 'empty file, not an ELF object' : 'too short to be an ELF object');
  const ident = Buffer.alloc(16);
  await fh.read(ident, 0, 16, 0);
  if (ident.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(file, 'not an ELF file (bad magic)');
  const cls = ident[4], data = ident[5];
  if (cls !== 1 && cls !== 2) throw new ElfError(file, `invalid ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfError(file, `invalid ELF data encoding ${data}`);
  const is64 = cls === 2;
  const r = new Reader(fh, size, file, data === 1, is64);
  const eh = await r.bytes(0, is64 ? 64 : 52, 'ELF header');
  const type = r.u16(eh, 16);
  const machine = r.u16(eh, 18);
  const phoff = r.word(eh, is64 ? 32 : 28);
  const phentsize = r.u16(eh, is64 ? 54 : 42);
  const phnum = r.u16(eh, is64 ? 56 : 44);
  const info: ElfInfo = { file, class: is64 ? 64 : 32, endian: data === 1 ? 'le' : 'be', osabi: ident[7], type, machine, dynamic: false, needed: [], flags1: 0 };
  if (phnum === 0) return info; // relocatable objects and odd files: no segments, nothing to load
  const minEnt = is64 ? 56 : 32;
  if (phentsize < minEnt) throw new ElfError(file, `program header entry size ${phentsize} is smaller than ${minEnt}`);
  if (phentsize > MAX_PHENTSIZE) throw new ElfError(file, `implausible program header entry size ${phentsize}`);
  if (phnum > MAX_PHNUM) throw new ElfError(file, `implausible program header count ${phnum}`);
  const ph = await r.bytes(phoff, phnum * phentsize, 'program header table');
  const phdrs: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    const p: Phdr = is64
      ? { type: r.u32(ph, o), offset: r.word(ph, o + 8), vaddr: r.word(ph, o + 16), filesz: r.word(ph, o + 32) }
      : { type: r.u32(ph, o), offset: r.word(ph, o + 4), vaddr: r.word(ph, o + 8), filesz: r.word(ph, o + 16) };
    phdrs.push(p);
  }
  const interp = phdrs.find((p) => p.type === PT_INTERP);
  if (interp) {
    if (interp.filesz === 0 || interp.filesz > MAX_INTERP) throw new ElfError(file, `PT_INTERP size ${interp.filesz} is not plausible`);
    const b = await r.bytes(interp.offset, interp.filesz, 'PT_INTERP');
    const nul = b.indexOf(0);
    info.interp = decodeName(b.subarray(0, nul < 0 ? b.length : nul));
    if (info.interp === '') throw new ElfError(file, 'PT_INTERP is empty');
  }
  const dyn = phdrs.find((p) => p.type === PT_DYNAMIC);
  if (!dyn) return info;
  info.dynamic = true;
  await readDynamic(r, file, dyn, phdrs.filter((p) => p.type === PT_LOAD), info);
  return info;
}

async function readDynamic(r: Reader, file: string, dyn: Phdr, loads: Phdr[], info: ElfInfo): Promise<void> {
  const ent = r.is64 ? 16 : 8;
  const len = Math.min(dyn.filesz, MAX_DYNAMIC_BYTES) - (Math.min(dyn.filesz, MAX_DYNAMIC_BYTES) % ent);
  const d = await r.bytes(dyn.offset, len, 'dynamic section');
  let strtab: number | undefined, strsz: number | undefined, soname: number | undefined, rpath: number | undefined, runpath: number | undefined;
  const needed: number[] = [];
  // The table ends at DT_NULL; a table without one ends at the segment's end.
  for (let o = 0; o + ent <= d.length; o += ent) {
    const tag = r.sword(d, o);
    const val = r.word(d, o + ent / 2);
    if (tag === DT_NULL) break;
    switch (tag) {
      case DT_NEEDED:
        if (needed.length >= MAX_NEEDED) throw new ElfError(file, `implausible number of DT_NEEDED entries (more than ${MAX_NEEDED})`);
        needed.push(val);
        break;
      case DT_STRTAB: strtab = val; break;
      case DT_STRSZ: strsz = val; break;
      case DT_SONAME: soname = val; break;
      case DT_RPATH: rpath = val; break;
      case DT_RUNPATH: runpath = val; break;
      case DT_FLAGS_1: info.flags1 = val >>> 0; break;
    }
  }
  const wantsStrings = needed.length > 0 || soname !== undefined || rpath !== undefined || runpath !== undefined;
  if (!wantsStrings) return;
  if (strtab === undefined) throw new ElfError(file, 'dynamic section has string references but no DT_STRTAB');
  if (strsz === undefined) throw new ElfError(file, 'dynamic section has no DT_STRSZ');
  const base = vaddrToOffset(strtab, loads);
  if (base === undefined) throw new ElfError(file, `DT_STRTAB address 0x${strtab.toString(16)} is not inside any PT_LOAD segment`);
  if (base + strsz > r.size) throw new ElfError(file, `dynamic string table (offset ${base}, ${strsz} bytes) runs past the end of the file`);
  const strings = new StringTable(r, file, base, strsz);
  await strings.preload([...needed, soname, rpath, runpath]);
  for (const n of needed) info.needed.push(await strings.get(n, 'DT_NEEDED', MAX_NAME));
  if (soname !== undefined) info.soname = await strings.get(soname, 'DT_SONAME', MAX_NAME);
  if (rpath !== undefined) info.rpath = await strings.get(rpath, 'DT_RPATH', MAX_STRING);
  if (runpath !== undefined) info.runpath = await strings.get(runpath, 'DT_RUNPATH', MAX_STRING);
}

/** Maps a virtual address to a file offset through the PT_LOAD segment that contains it. */
function vaddrToOffset(addr: number, loads: Phdr[]): number | undefined {
  for (const p of loads) {
    if (addr >= p.vaddr && addr < p.vaddr + p.filesz) return p.offset + (addr - p.vaddr);
  }
  return undefined;
}

/**
 * The dynamic string table. The span the references need is read once when it is small
 * (it always is in real objects), so thousands of references cost one read; otherwise
 * each string is read on its own, in growing chunks, and remembered.
 */
class StringTable {
  private window?: { lo: number; buf: Buffer };
  private memo = new Map<string, string>();

  constructor(private r: Reader, private file: string, private base: number, private size: number) {}

  async preload(refs: (number | undefined)[]): Promise<void> {
    let lo = Infinity, hi = -Infinity;
    for (const i of refs) {
      if (i === undefined || i >= this.size) continue;
      lo = Math.min(lo, i);
      hi = Math.max(hi, Math.min(this.size, i + MAX_STRING));
    }
    if (hi > lo && hi - lo <= STRTAB_WINDOW) this.window = { lo, buf: await this.r.bytes(this.base + lo, hi - lo, 'dynamic string table') };
  }

  async get(idx: number, what: string, max: number): Promise<string> {
    if (idx >= this.size) throw new ElfError(this.file, `${what} string offset ${idx} is outside the string table (${this.size} bytes)`);
    const limit = Math.min(this.size - idx, max);
    const tooLong = () => new ElfError(this.file, limit === max
      ? `${what} string at offset ${idx} is longer than ${max} bytes`
      : `${what} string at offset ${idx} is not NUL-terminated within the string table`);
    if (this.window) {
      const b = this.window.buf.subarray(idx - this.window.lo, idx - this.window.lo + limit);
      const nul = b.indexOf(0);
      if (nul < 0) throw tooLong();
      return decodeName(b.subarray(0, nul));
    }
    const key = `${idx}/${max}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    let chunk = Math.min(256, limit);
    for (;;) {
      const b = await this.r.bytes(this.base + idx, chunk, `${what} string`);
      const nul = b.indexOf(0);
      if (nul >= 0) {
        const s = decodeName(b.subarray(0, nul));
        this.memo.set(key, s);
        return s;
      }
      if (chunk >= limit) throw tooLong();
      chunk = Math.min(chunk * 4, limit);
    }
  }
}
