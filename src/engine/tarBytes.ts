// ustar + pax header encoding from raw bytes. The archive writer uses the `tar` package
// for every header it can; the package writes names as UTF-8 strings, so a name with bytes
// that are not UTF-8 (legal on Linux) would change. Only such names come through here, so
// the archive still round-trips them byte for byte (POSIX.1-2001 pax over ustar).

export const BLOCK = 512;

/** An octal field of `width` bytes (digits, then NUL); undefined when the value does not fit. */
function octal(value: number, width: number): Buffer | undefined {
  if (!Number.isSafeInteger(value) || value < 0) return undefined;
  const digits = value.toString(8);
  if (digits.length > width - 1) return undefined;
  return Buffer.from(digits.padStart(width - 1, '0') + '\0', 'latin1');
}

/** One pax record: "LEN key=value\n", LEN counting the whole record in decimal. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(key) + value.length + 3; // ' ', '=', '\n'
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'latin1'), value, Buffer.from('\n')]);
}

/** ustar's split of a long name into prefix (155) and name (100) at a slash, if one fits. */
function splitName(name: Buffer): [Buffer, Buffer] | undefined {
  if (name.length <= 100) return [Buffer.alloc(0), name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    if (i > 155) continue;
    if (name.length - i - 1 > 100) return undefined;
    if (name.length - i - 1 === 0) continue; // a directory's trailing slash
    return [name.subarray(0, i), name.subarray(i + 1)];
  }
  return undefined;
}

interface TarFields { name: Buffer; type: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkname: Buffer }

/** The 512-byte ustar header, preceded by a pax extended header when a field does not fit. */
export function rawTarHeader(f: TarFields): Buffer {
  const pax: Buffer[] = [];
  const split = splitName(f.name);
  if (!split) pax.push(paxRecord('path', f.name));
  if (f.linkname.length > 100) pax.push(paxRecord('linkpath', f.linkname));
  const num = (key: string, value: number, width: number) => {
    const o = octal(value, width);
    if (o) return o;
    pax.push(paxRecord(key, Buffer.from(String(value))));
    return octal(0, width)!;
  };
  const size = num('size', f.size, 12), uid = num('uid', f.uid, 8), gid = num('gid', f.gid, 8), mtime = num('mtime', f.mtime, 12);
  const h = Buffer.alloc(BLOCK);
  const [prefix, name] = split ?? [Buffer.alloc(0), f.name.subarray(0, 100)];
  name.copy(h, 0, 0, 100);
  octal(f.mode & 0o7777, 8)!.copy(h, 100);
  uid.copy(h, 108);
  gid.copy(h, 116);
  size.copy(h, 124);
  mtime.copy(h, 136);
  h.write(f.type, 156, 'latin1');
  f.linkname.copy(h, 157, 0, Math.min(100, f.linkname.length));
  h.write('ustar\0' + '00', 257, 'latin1');
  octal(0, 8)!.copy(h, 329);
  octal(0, 8)!.copy(h, 337);
  prefix.copy(h, 345);
  checksum(h);
  if (!pax.length) return h;
  const body = Buffer.concat(pax);
  const base = f.name.subarray(f.name.lastIndexOf(0x2f) + 1).toString('latin1').replace(/[^\x20-\x7e]/g, '_').slice(0, 80);
  const x = rawTarHeader({ name: Buffer.from(`PaxHeader/${base}`, 'latin1'), type: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: Math.max(0, Math.min(f.mtime, 0o77777777777)), linkname: Buffer.alloc(0) });
  return Buffer.concat([x, body, Buffer.alloc(padding(body.length)), h]);
}

function checksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  Buffer.from(sum.toString(8).padStart(6, '0') + '\0 ', 'latin1').copy(h, 148);
}

export function padding(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

