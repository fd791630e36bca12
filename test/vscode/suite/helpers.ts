// Shared helpers for the integration suite (runs inside the extension host).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerCompositorApi } from '../../../src/extension/main';

export const EXTENSION_ID = 'container-compositor.container-compositor';

export function workspaceDir(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the suite needs the fixture workspace open');
  return f.uri.fsPath;
}

export function rootfsDir(): string {
  return path.join(workspaceDir(), 'rootfs');
}

export async function api(): Promise<ContainerCompositorApi> {
  const ext = vscode.extensions.getExtension<ContainerCompositorApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Polls `probe` until it returns a value that is not undefined/false; a throw from it fails at once. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}
