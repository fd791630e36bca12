// A one-line progress bar on stderr, drawn only when stderr is a terminal so logs and
// pipes stay clean.
import type { Progress } from '../engine';

export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update: (p: Progress) => void; done: () => void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 80 && p.done !== p.total) return;
      last = now;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 50));
      const frac = p.total ? Math.min(1, p.done / p.total) : 0;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const room = Math.max(10, (stream.columns ?? 80) - width - 24);
      const d = p.detail ?? '';
      const detail = d.length > room ? '…' + d.slice(-(room - 1)) : d;
      stream.write(`\r\x1b[K${p.phase.padEnd(8)} [${bar}] ${Math.round(frac * 100)}% ${detail}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
