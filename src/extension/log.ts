// Logging over one LogOutputChannel named "Container Compositor", plus the error
// notification that offers to show it.

import * as vscode from 'vscode';
import { ComposeError } from '../engine/index';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor(name = 'Container Compositor') {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  trace(msg: string, ...args: unknown[]): void { this.channel.trace(msg, ...args); }
  debug(msg: string, ...args: unknown[]): void { this.channel.debug(msg, ...args); }
  info(msg: string, ...args: unknown[]): void { this.channel.info(msg, ...args); }
  warn(msg: string, ...args: unknown[]): void { this.channel.warn(msg, ...args); }
  error(msg: string | Error, ...args: unknown[]): void { this.channel.error(msg, ...args); }

  show(): void { this.channel.show(true); }

  dispose(): void { this.channel.dispose(); }
}

/** A one-line message for an error, without a stack trace for the engine's own errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorKind(err: unknown): string | undefined {
  return err instanceof ComposeError ? err.kind : undefined;
}

/** Logs the error and shows it as a notification with a "Show Log" action. */
export async function showError(log: Log, context: string, err: unknown): Promise<void> {
  const msg = errorMessage(err);
  if (err instanceof ComposeError) log.error(`${context}: [${err.kind}] ${msg}`);
  else log.error(`${context}: ${err instanceof Error && err.stack ? err.stack : msg}`);
  const choice = await vscode.window.showErrorMessage(`${context}: ${msg}`, 'Show Log');
  if (choice === 'Show Log') log.show();
}
