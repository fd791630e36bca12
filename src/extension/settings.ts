// Typed access to the "containerCompositor.*" settings.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { type AutodepsLevel, isAutodepsLevel } from '../shared/protocol';

export const SECTION = 'containerCompositor';

export interface Settings {
  /** Host path of the default YAML profile, resolved against the first workspace folder. */
  defaultProfile?: string;
  autodeps: AutodepsLevel;
  gzipLevel: number;
  overwriteWithoutAsking: boolean;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const autodeps = c.get<string>('autodeps', 'default');
  const level = Math.round(Number(c.get<number>('gzipLevel', 6)));
  return {
    defaultProfile: resolveProfilePath(c.get<string>('defaultProfile', '') ?? '', scope),
    autodeps: isAutodepsLevel(autodeps) ? autodeps : 'default',
    gzipLevel: Number.isFinite(level) ? Math.min(9, Math.max(0, level)) : 6,
    overwriteWithoutAsking: c.get<boolean>('overwriteWithoutAsking', false) === true,
  };
}

function resolveProfilePath(p: string, scope?: vscode.Uri): string | undefined {
  const v = p.trim();
  if (!v) return undefined;
  if (path.isAbsolute(v)) return v;
  const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, v) : undefined;
}
