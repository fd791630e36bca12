// Runs engine work under window.withProgress with a Cancel button wired to an AbortSignal.

import * as vscode from 'vscode';

export interface EngineProgress { phase: string; done: number; total?: number; detail?: string }

const PHASE_WORDS: Record<string, string> = {
  resolve: 'Resolving libraries',
  write: 'Writing archive',
  packages: 'Reading package database',
  autodeps: 'Adding runtime files',
};

export function describeProgress(p: EngineProgress): string {
  const what = PHASE_WORDS[p.phase] ?? p.phase;
  const pct = p.total ? ` ${Math.min(100, Math.floor((p.done / p.total) * 100))}%` : '';
  return `${what}${pct}`;
}

export interface ProgressRun {
  title: string;
  /** Show the notification only when the work takes longer than this (ms). */
  delayMs?: number;
  /** Aborts the work too (e.g. the webview's Cancel button). */
  signal?: AbortSignal;
  /** Also told about every progress event (e.g. to mirror it in the webview). */
  onProgress?: (p: EngineProgress) => void;
}

/**
 * Runs `work` with an AbortSignal that fires when the user presses Cancel on the
 * notification or when `run.signal` aborts.
 */
export async function withCancellableProgress<T>(
  run: ProgressRun,
  work: (signal: AbortSignal, onProgress: (p: EngineProgress) => void) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  const forward = () => ac.abort();
  if (run.signal?.aborted) ac.abort();
  run.signal?.addEventListener('abort', forward);
  let reporter: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let last: EngineProgress | undefined;
  let lastPct = 0;
  let lastPhase = '';
  const report = (p: EngineProgress) => {
    last = p;
    run.onProgress?.(p);
    if (!reporter) return;
    let increment: number | undefined;
    if (p.total && p.phase === 'write') {
      if (p.phase !== lastPhase) lastPct = 0;
      const pct = Math.min(100, (p.done / p.total) * 100);
      increment = pct > lastPct ? pct - lastPct : undefined;
      lastPct = Math.max(pct, lastPct);
    }
    lastPhase = p.phase;
    reporter.report({ message: describeProgress(p), increment });
  };
  const promise = work(ac.signal, report);
  let settled = false;
  void promise.then(() => { settled = true; }, () => { settled = true; });
  try {
    if (run.delayMs && run.delayMs > 0) {
      await Promise.race([promise.catch(() => undefined), new Promise(r => setTimeout(r, run.delayMs))]);
    }
    if (!settled) {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: run.title, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => ac.abort());
          reporter = progress;
          if (last) report(last);
          await promise.catch(() => undefined);
        },
      );
    }
    return await promise;
  } finally {
    run.signal?.removeEventListener('abort', forward);
  }
}
