// The imported (undefined) dynamic symbols of an ELF object, read from its section headers
// and .dynsym. Used by autodeps to tell whether anything in the archive calls an entry point
// such as iconv_open(). Input may be hostile: every offset and size is checked before use.
import { promises as fsp, constants as C } from 'node:fs';

/** Longest symbol or string table read; real ones are a few MiB at most. */
const MAX_SYMBOL_BYTES = 64 << 20;
const SHT_DYNSYM = 11;

/**
 * Which of `wanted` an ELF object imports (undefined in its .dynsym). A file that is not
 * ELF, or has no .dynsym, imports nothing; an ELF object without readable section headers
 * gives 'unknown'. Every offset and size from the file is checked before it is used.
 */
export async function undefinedSymbols(hostPath: string | Buffer, wanted: Set<string>): Promise<Set<string> | 'unknown'> {
  const found = new Set<string>();
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(hostPath, C.O_RDONLY | C.O_NONBLOCK | C.O_NOCTTY);
  } catch {
    return found;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size < 52) return found;
    const size = st.size;
    const read = async (off: number, len: number): Promise<Buffer> => {
      if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || len > MAX_SYMBOL_BYTES || off + len > size) throw new RangeError('outside the file');
      const b = Buffer.alloc(len);
      for (let done = 0; done < len;) {
        const { bytesRead } = await fh.read(b, done, len - done, off + done);
        if (bytesRead === 0) throw new RangeError('file shrank');
        done += bytesRead;
      }
      return b;
    };
    const eh = await read(0, Math.min(64, size));
    if (eh.readUInt32BE(0) !== 0x7f454c46) return found;
    const is64 = eh[4] === 2, le = eh[5] === 1;
    if ((eh[4] !== 1 && !is64) || (eh[5] !== 1 && eh[5] !== 2) || (is64 && eh.length < 64)) return 'unknown';
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const word = (b: Buffer, o: number) => {
      if (!is64) return u32(b, o);
      const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
    };
    const shoff = word(eh, is64 ? 0x28 : 0x20), shentsize = u16(eh, is64 ? 0x3a : 0x2e), shnum = u16(eh, is64 ? 0x3c : 0x30);
    if (shoff <= 0 || shnum === 0 || shentsize < (is64 ? 64 : 40)) return 'unknown';
    const sh = await read(shoff, shnum * shentsize);
    const section = (i: number) => {
      const o = i * shentsize;
      return is64
        ? { type: u32(sh, o + 4), offset: word(sh, o + 0x18), size: word(sh, o + 0x20), link: u32(sh, o + 0x28) }
        : { type: u32(sh, o + 4), offset: u32(sh, o + 0x10), size: u32(sh, o + 0x14), link: u32(sh, o + 0x18) };
    };
    let dynsym: ReturnType<typeof section> | undefined;
    for (let i = 0; i < shnum && !dynsym; i++) if (section(i).type === SHT_DYNSYM) dynsym = section(i);
    if (!dynsym) return found;
    if (dynsym.link >= shnum) return 'unknown';
    const strSec = section(dynsym.link);
    const strtab = await read(strSec.offset, strSec.size);
    const names = [...wanted].map((w) => Buffer.from(w + '\0')).filter((n) => strtab.includes(n));
    if (names.length === 0) return found;
    const syms = await read(dynsym.offset, dynsym.size);
    const ent = is64 ? 24 : 16;
    for (let o = 0; o + ent <= syms.length; o += ent) {
      const name = u32(syms, o);
      const shndx = u16(syms, o + (is64 ? 6 : 14));
      if (shndx !== 0 || name === 0) continue;
      for (const n of names) if (name + n.length <= strtab.length && strtab.compare(n, 0, n.length, name, name + n.length) === 0) found.add(n.subarray(0, -1).toString());
    }
    return found;
  } catch (e) {
    if (e instanceof RangeError) return 'unknown';
    throw e;
  } finally {
    await fh.close();
  }
}

