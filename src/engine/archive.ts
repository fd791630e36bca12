// Archive writer: streams the plan as a POSIX tar through a gzip stage into a temporary
// file in <rootfs>/tmp, then publishes it atomically. Headers (ustar, with pax records
// where a field does not fit) are encoded by the `tar` package; only a name that is not
// valid UTF-8, which the package can only write as UTF-8, is encoded from its bytes by
// tarBytes.ts so it goes in byte for byte. Headers come from the plan, not from a fresh
// lstat, so what is written is exactly what was previewed; file contents are read with
// O_NOFOLLOW and checked against the planned size.
import { constants as C, createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { CancelledError, ComposeError, ioError, throwIfAborted } from './errors';
import type { Plan, PlanEntry } from './plan';
import { Rootfs, encodeName } from './rootfs';
import * as tar from 'tar';
import { BLOCK, padding, rawTarHeader } from './tarBytes';

export interface Progress { phase: string; done: number; total?: number; detail?: string }

export interface WriteOptions {
  /** Archive name: "ffmpeg" gives <rootfs>/tmp/ffmpeg.tar.gz. */
  name: string;
  force?: boolean;
  gzipLevel?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface WriteResult { path: string; bytes: number }

const CHUNK = 1 << 20;

/** Validates an archive name: one plain file name, with or without ".tar.gz". */
export function archiveFileName(name: string): string {
  const base = name.endsWith('.tar.gz') ? name.slice(0, -7) : name;
  if (!base || base === '.' || base === '..' || /[/\0]/.test(base) || Buffer.byteLength(base) > 200) {
    throw new ComposeError('usage', undefined, `invalid archive name ${JSON.stringify(name)}: give a plain file name such as "ffmpeg"`);
  }
  return `${base}.tar.gz`;
}

/**
 * The host directory for <rootfs>/tmp. A `tmp` that is a symlink is followed only when the
 * host would land where the confined resolution lands: no absolute link and no `..` above
 * the root on the way. This is decided inside the rootfs, so a `tmp` that leads out is
 * refused without anything outside being looked at, let alone written.
 */
export async function outputDir(fs: Rootfs): Promise<string> {
  const hostTmp = fs.host('/tmp');
  const leadsOut = (texts: string[]) =>
    new ComposeError('io', hostTmp, `tmp is a symlink that leads outside the root filesystem (-> ${texts.join(' -> ')}); refusing to write`);
  const st = await fs.lstat('/tmp');
  if (!st) {
    await fsp.mkdir(encodeName(hostTmp), { mode: 0o1777 }).catch((e) => { throw ioError(hostTmp, e, 'cannot create'); });
    await fsp.chmod(encodeName(hostTmp), 0o1777);
    fs.forget('/tmp');
  } else if (st.isSymbolicLink()) {
    const text = await fs.readlink('/tmp');
    if (text.startsWith('/')) throw leadsOut([text]);
  }
  let confined;
  try {
    confined = await fs.resolve('/tmp');
  } catch (e) {
    throw new ComposeError('io', hostTmp, `cannot resolve tmp (${e instanceof Error ? e.message : e}); refusing to write`);
  }
  if (confined.confined) throw leadsOut(confined.hops.map((h) => h.target));
  if (!confined.stat?.isDirectory()) throw new ComposeError('io', hostTmp, 'tmp is not a directory; refusing to write');
  // Every component of the confined path is a real directory, so the host resolves it alike.
  return fs.host(confined.path);
}

export async function archivePathFor(root: string, name: string): Promise<string> {
  const fs = await Rootfs.open(root);
  return path.join(await outputDir(fs), archiveFileName(name));
}

/** gzip stage; a separate function so a parallel (pigz-style) compressor can replace it. */
export function createCompressor(level: number): Transform {
  return zlib.createGzip({ level, memLevel: 9 });
}

export async function writeArchive(plan: Plan, opts: WriteOptions): Promise<WriteResult> {
  const fs = await Rootfs.open(plan.root);
  const dir = await outputDir(fs);
  const finalPath = path.join(dir, archiveFileName(opts.name));
  await removeStalePartials(dir, archiveFileName(opts.name));
  if (!opts.force && (await exists(finalPath))) {
    throw new ComposeError('io', finalPath, 'already exists; use --force to replace it');
  }
  throwIfAborted(opts.signal);
  const tmpPath = path.join(dir, `.${archiveFileName(opts.name)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  const out = createWriteStream(encodeName(tmpPath), { flags: 'wx', mode: 0o644, flush: true });
  const tarStream = new PassThrough({ highWaterMark: CHUNK });
  const total = plan.totals.bytes;
  let done = 0;
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const written = pipeline(tarStream, createCompressor(opts.gzipLevel ?? 6), out, { signal: abort.signal });
  // A failed pipeline must stop the producer loop too; remember its error.
  let failure: unknown;
  written.catch((e) => { failure = e; abort.abort(); });
  // Waiting for 'drain' takes the signal so a failed or cancelled pipeline never hangs us.
  const put = async (b: Buffer) => {
    if (!tarStream.write(b)) await once(tarStream, 'drain', { signal: abort.signal });
  };
  try {
    for (const e of plan.entries) {
      if (abort.signal.aborted) break;
      await addEntry(put, fs, e, abort.signal, (n) => {
        done += n;
        opts.onProgress?.({ phase: 'write', done, total, detail: e.path });
      });
    }
    if (!abort.signal.aborted) {
      await put(Buffer.alloc(2 * BLOCK)); // end-of-archive marker
      tarStream.end();
    }
    await written;
  } catch (e) {
    // The first failure is the cause: the pipeline's own, or the producer's (tearing the
    // pipeline down below then only adds a "premature close").
    const cause = failure ?? e;
    tarStream.destroy();
    out.destroy();
    await written.catch(() => undefined);
    await fsp.rm(encodeName(tmpPath), { force: true });
    opts.signal?.removeEventListener('abort', onAbort);
    if (opts.signal?.aborted) throw new CancelledError();
    throw asWriteError(cause, tmpPath, finalPath);
  }
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) {
    await fsp.rm(encodeName(tmpPath), { force: true });
    throw new CancelledError();
  }
  await publish(tmpPath, finalPath, !!opts.force);
  const bytes = (await fsp.stat(encodeName(finalPath))).size;
  return { path: finalPath, bytes };
}

/**
 * Removes the temp files of earlier runs for this archive name that were killed before
 * they could clean up (kill -9, a crash). A temp file names its writer's pid; one whose
 * process still exists may belong to a concurrent run and is left alone.
 */
async function removeStalePartials(dir: string, fileName: string): Promise<void> {
  const prefix = `.${fileName}.`;
  let names: string[];
  try {
    names = (await fsp.readdir(encodeName(dir), { encoding: 'buffer' })).map((b) => b.toString('utf8'));
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.partial')) continue;
    const m = /^(\d+)\.[0-9a-f]+\.partial$/.exec(n.slice(prefix.length));
    if (!m || processAlive(Number(m[1]))) continue;
    await fsp.rm(encodeName(path.join(dir, n)), { force: true }).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** link() fails if the name exists, so two concurrent writers cannot both win. */
async function publish(tmpPath: string, finalPath: string, force: boolean): Promise<void> {
  try {
    if (force) await fsp.rename(encodeName(tmpPath), encodeName(finalPath));
    else {
      await fsp.link(encodeName(tmpPath), encodeName(finalPath));
      await fsp.unlink(encodeName(tmpPath));
    }
  } catch (e) {
    await fsp.rm(encodeName(tmpPath), { force: true });
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ComposeError('io', finalPath, 'already exists (written by another run meanwhile); use --force to replace it');
    }
    throw ioError(finalPath, e, 'cannot publish archive');
  }
}

function asWriteError(e: unknown, tmpPath: string, finalPath: string): unknown {
  if (e instanceof ComposeError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ABORT_ERR') return new CancelledError();
  if (code) return ioError(code === 'ENOSPC' ? finalPath : tmpPath, e, 'cannot write archive');
  return e;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(encodeName(p));
    return true;
  } catch {
    return false;
  }
}

async function addEntry(put: (b: Buffer) => Promise<void>, fs: Rootfs, e: PlanEntry, signal: AbortSignal, progress: (n: number) => void): Promise<void> {
  const name = encodeName((e.member ?? e.path).slice(1) + (e.type === 'dir' ? '/' : ''));
  const link = e.type === 'hardlink' ? e.linkTarget!.slice(1) : e.type === 'symlink' ? e.linkTarget! : '';
  const header = entryHeader(e, name, encodeName(link));
  if (e.type !== 'file') {
    await put(header);
    return;
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(fs.hostBytes(e.path), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    throw ioError(e.path, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ComposeError('input', e.path, 'is no longer a regular file; it changed after planning');
    if (st.size !== e.size) throw new ComposeError('input', e.path, `changed size after planning (${e.size} -> ${st.size} bytes)`);
    await put(header);
    let pos = 0;
    while (pos < e.size) {
      if (signal.aborted) return;
      // A fresh buffer per chunk: the stream keeps a reference until it is consumed.
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, e.size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw new ComposeError('input', e.path, `shrank while being archived (${e.size} -> ${pos} bytes)`);
      pos += bytesRead;
      await put(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      progress(bytesRead);
    }
    // Growth after the read would go unseen; a size that moved means the copy is no snapshot.
    const after = await fh.stat();
    if (after.size !== e.size) throw new ComposeError('input', e.path, `changed size while being archived (${e.size} -> ${after.size} bytes)`);
    await put(Buffer.alloc(padding(e.size)));
  } finally {
    await fh.close();
  }
}

const TAR_TYPES: Record<PlanEntry['type'], tar.Header['type']> = { file: 'File', hardlink: 'Link', symlink: 'SymbolicLink', dir: 'Directory' };

/** True when the bytes are valid UTF-8, i.e. survive a decode/encode round trip. */
function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** The header blocks of one entry: the tar package's pax + ustar encoding when it can. */
function entryHeader(e: PlanEntry, name: Buffer, link: Buffer): Buffer {
  const size = e.type === 'file' ? e.size : 0;
  if (!isUtf8(name) || !isUtf8(link)) {
    return rawTarHeader({ name, type: RAW_TYPEFLAG[e.type], mode: e.mode, uid: e.uid, gid: e.gid, size, mtime: e.mtime, linkname: link });
  }
  const fields = {
    path: name.toString('utf8'), linkpath: link.length ? link.toString('utf8') : undefined, type: TAR_TYPES[e.type],
    mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size, mtime: new Date(e.mtime * 1000),
  };
  const header = new tar.Header(fields);
  const needPax = header.encode();
  if (!needPax) return header.block!;
  const pax = new tar.Pax({ path: fields.path, linkpath: fields.linkpath, size, uid: e.uid, gid: e.gid, mtime: fields.mtime });
  return Buffer.concat([pax.encode(), header.block!]);
}

const RAW_TYPEFLAG: Record<PlanEntry['type'], string> = { file: '0', hardlink: '1', symlink: '2', dir: '5' };
