// Archive writer: streams the plan through the `tar` package's Pack and a gzip stage into
// a temporary file in <rootfs>/tmp, then publishes it atomically. Headers come from the
// plan, not from a fresh lstat, so what is written is exactly what was previewed; file
// contents are read with O_NOFOLLOW and checked against the planned size.
import { constants as C, createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import * as tar from 'tar';
import { CancelledError, ComposeError, ioError, throwIfAborted } from './errors';
import type { Plan, PlanEntry } from './plan';
import { Rootfs } from './rootfs';

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
  if (!(await fs.lstat('/tmp'))) {
    await fsp.mkdir(hostTmp, { mode: 0o1777 }).catch((e) => { throw ioError(hostTmp, e, 'cannot create'); });
    await fsp.chmod(hostTmp, 0o1777);
    fs.forget('/tmp');
  }
  const confined = await fs.resolve('/tmp');
  if (confined.confined) {
    const text = confined.hops.length ? ` (-> ${confined.hops.map((h) => h.target).join(' -> ')})` : '';
    throw new ComposeError('io', hostTmp, `tmp is a symlink that leads outside the root filesystem${text}; refusing to write`);
  }
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
  if (!opts.force && (await exists(finalPath))) {
    throw new ComposeError('io', finalPath, 'already exists; use --force to replace it');
  }
  throwIfAborted(opts.signal);
  const tmpPath = path.join(dir, `.${archiveFileName(opts.name)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  const out = createWriteStream(tmpPath, { flags: 'wx', mode: 0o644, flush: true });
  const pack = new tar.Pack({ portable: false, noDirRecurse: true });
  const total = plan.totals.bytes;
  let done = 0;
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const written = pipeline(pack, createCompressor(opts.gzipLevel ?? 6), out, { signal: abort.signal });
  // A failed pipeline must stop the producer loop too; remember its error.
  let failure: unknown;
  written.catch((e) => { failure = e; abort.abort(); });
  try {
    for (const e of plan.entries) {
      if (abort.signal.aborted) break;
      await addEntry(pack, fs, e, abort.signal, (n) => {
        done += n;
        opts.onProgress?.({ phase: 'write', done, total, detail: e.path });
      });
    }
    if (!abort.signal.aborted) pack.end();
    await written;
  } catch (e) {
    pack.destroy();
    out.destroy();
    await written.catch(() => undefined);
    await fsp.rm(tmpPath, { force: true });
    opts.signal?.removeEventListener('abort', onAbort);
    if (opts.signal?.aborted) throw new CancelledError();
    throw asWriteError(failure ?? e, tmpPath, finalPath);
  }
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) {
    await fsp.rm(tmpPath, { force: true });
    throw new CancelledError();
  }
  await publish(tmpPath, finalPath, !!opts.force);
  const bytes = (await fsp.stat(finalPath)).size;
  return { path: finalPath, bytes };
}

/** link() fails if the name exists, so two concurrent writers cannot both win. */
async function publish(tmpPath: string, finalPath: string, force: boolean): Promise<void> {
  try {
    if (force) await fsp.rename(tmpPath, finalPath);
    else {
      await fsp.link(tmpPath, finalPath);
      await fsp.unlink(tmpPath);
    }
  } catch (e) {
    await fsp.rm(tmpPath, { force: true });
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
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

const TYPES: Record<PlanEntry['type'], string> = { dir: 'Directory', file: 'File', symlink: 'SymbolicLink', hardlink: 'Link' };

async function addEntry(pack: tar.Pack, fs: Rootfs, e: PlanEntry, signal: AbortSignal, progress: (n: number) => void): Promise<void> {
  // Waiting for 'drain' takes the signal so a failed or cancelled pipeline never hangs us.
  const drained = (s: NodeJS.EventEmitter) => once(s, 'drain', { signal });
  const name = e.path.slice(1) + (e.type === 'dir' ? '/' : '');
  const header = new tar.Header({
    path: name, type: TYPES[e.type] as tar.Header['type'], mode: e.mode, uid: e.uid, gid: e.gid,
    size: e.type === 'file' ? e.size : 0, mtime: new Date(e.mtime * 1000),
    linkpath: e.type === 'hardlink' ? e.linkTarget!.slice(1) : e.type === 'symlink' ? e.linkTarget : undefined,
  });
  const entry = new tar.ReadEntry(header);
  if (e.type !== 'file') {
    if (!pack.write(entry)) await drained(pack);
    entry.end();
    return;
  }
  const host = fs.host(e.path);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(host, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    throw ioError(e.path, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ComposeError('input', e.path, 'is no longer a regular file; it changed after planning');
    if (st.size !== e.size) throw new ComposeError('input', e.path, `changed size after planning (${e.size} -> ${st.size} bytes)`);
    if (!pack.write(entry)) await drained(pack);
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(e.size, 1)));
    let pos = 0;
    while (pos < e.size) {
      if (signal.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, e.size - pos), pos);
      if (bytesRead === 0) throw new ComposeError('input', e.path, 'shrank while being archived');
      pos += bytesRead;
      // ReadEntry keeps its own reference to the chunk, so hand it a copy.
      if (!entry.write(Buffer.from(buf.subarray(0, bytesRead)))) await drained(entry);
      progress(bytesRead);
    }
    entry.end();
  } finally {
    await fh.close();
  }
}
