// Typed errors. Every error the engine raises names the file it is about and what is
// wrong with it, so the CLI and the extension can show it without a stack trace.

/** Exit-code classes shared by the CLI (0 ok, 1 unresolved, 2 usage, 3 input/IO). */
export type ErrorKind = 'usage' | 'input' | 'io' | 'unresolved' | 'cancelled';

export class ComposeError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** The file (host path or rootfs path) the error is about, if any. */
    readonly file: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(file ? `${file}: ${message}` : message, options);
    this.name = 'ComposeError';
  }
}

/** A file that is not a well-formed ELF object (or not ELF at all). */
export class ElfError extends ComposeError {
  constructor(file: string, message: string) {
    super('input', file, message);
    this.name = 'ElfError';
  }
}

/** Raised when an AbortSignal fires; callers treat it as "stopped by the user". */
export class CancelledError extends ComposeError {
  constructor() {
    super('cancelled', undefined, 'cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Turns a Node fs error into a ComposeError that names the file and the errno meaning. */
export function ioError(file: string, err: unknown, what = 'cannot read'): ComposeError {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: 'does not exist',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a path component is not a directory',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symbolic links',
    ENOSPC: 'no space left on device',
    EEXIST: 'already exists',
    EROFS: 'read-only file system',
  };
  const detail = (e && e.code && why[e.code]) || (e && e.message) || String(err);
  return new ComposeError(e?.code === 'ENOSPC' || what !== 'cannot read' ? 'io' : 'input', file, `${what}: ${detail}`, { cause: err });
}
