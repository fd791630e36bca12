// Plan and compose: the one place the extension calls the engine's buildPlan and
// writeArchive. Prompts are behind an interface so the flow can be driven by tests.

import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import { archivePathFor, buildPlan, CancelledError, ComposeError, type Plan, writeArchive } from '../engine/index';
import { archiveNameProblem, type PlanInputs } from '../shared/protocol';
import { basenameOf, formatBytes } from './format';
import type { Log } from './log';
import { type EngineProgress, withCancellableProgress } from './progress';
import { readSettings } from './settings';

export interface Prompts {
  /** Archive name (without .tar.gz); undefined to stop. */
  askName(defaultName: string, target: string): Promise<string | undefined>;
  /** Whether to replace an existing archive. */
  confirmOverwrite(archivePath: string): Promise<boolean>;
  /** Whether to write an archive that misses libraries. */
  confirmUnresolved(names: string[]): Promise<boolean>;
  /** Tells the user the archive is written. */
  announce(result: WrittenArchive): Promise<void>;
}

export interface WrittenArchive { path: string; bytes: number; root: string }

export type ComposeOutcome =
  | ({ status: 'written' } & WrittenArchive)
  | { status: 'declined'; reason: 'name' | 'overwrite' | 'unresolved' | 'untrusted' }
  | { status: 'cancelled' };

export interface ComposeArgs {
  root: string;
  exes: string[];
  /** A plan already computed (the preview's); computed here otherwise. */
  plan?: Plan;
  inputs?: PlanInputs;
  /** Archive name; asked for when missing. */
  name?: string;
  /** Replace an existing archive without asking. */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
}

export const defaultPrompts: Prompts = {
  async askName(defaultName, target) {
    return vscode.window.showInputBox({
      title: `Compose Archive for ${target}`,
      prompt: 'Archive name: the archive is written to <rootfs>/tmp/<name>.tar.gz',
      value: defaultName,
      valueSelection: [0, defaultName.length],
      validateInput: v => archiveNameProblem(v.endsWith('.tar.gz') ? v.slice(0, -7) : v),
    });
  },
  async confirmOverwrite(archivePath) {
    const replace = 'Replace';
    const choice = await vscode.window.showWarningMessage(
      `${archivePath} already exists. Replace it?`, { modal: true, detail: 'The old archive is replaced only once the new one is complete.' }, replace);
    return choice === replace;
  },
  async confirmUnresolved(names) {
    const go = 'Compose Anyway';
    const list = names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
    const choice = await vscode.window.showWarningMessage(
      `${names.length} librar${names.length === 1 ? 'y' : 'ies'} could not be found: ${list}.`,
      { modal: true, detail: 'The program will not start in the container without them.' }, go);
    return choice === go;
  },
  async announce(r) {
    const reveal = 'Reveal in Explorer';
    const choice = await vscode.window.showInformationMessage(`Wrote ${r.path} (${formatBytes(r.bytes)}).`, reveal);
    if (choice === reveal) await revealArchive(r.path);
  },
};

export async function revealArchive(hostPath: string): Promise<void> {
  const uri = vscode.Uri.file(hostPath);
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

async function exists(p: string): Promise<boolean> {
  try { await fsp.lstat(p); return true; } catch { return false; }
}

export class ComposeService {
  prompts: Prompts = defaultPrompts;

  constructor(private readonly log: Log) {}

  /** Plan inputs from the settings. */
  defaultInputs(scope?: vscode.Uri): PlanInputs {
    const s = readSettings(scope);
    return { autodeps: s.autodeps, profile: s.defaultProfile };
  }

  /** Computes a plan, under a (delayed) cancellable progress notification. */
  async plan(root: string, exes: string[], inputs: PlanInputs, opts: { signal?: AbortSignal; onProgress?: (p: EngineProgress) => void } = {}): Promise<Plan> {
    const t0 = Date.now();
    this.log.info(`Plan ${exes.join(' ')} in ${root} (autodeps ${inputs.autodeps}${inputs.profile ? `, profile ${inputs.profile}` : ''})`);
    const plan = await withCancellableProgress(
      { title: `Resolving dependencies of ${exes.map(basenameOf).join(', ')}`, delayMs: 700, signal: opts.signal, onProgress: opts.onProgress },
      (signal, onProgress) => buildPlan({ root, exes, autodeps: inputs.autodeps, profile: inputs.profile, signal, onProgress }),
    );
    this.log.info(`Plan ready in ${Date.now() - t0} ms: ${plan.totals.files} files, ${plan.totals.symlinks} symlinks, ${plan.totals.bytes} bytes, ${plan.unresolved.length} unresolved`);
    for (const w of plan.warnings) this.log.warn(w);
    return plan;
  }

  /**
   * The Compose Archive flow: name, overwrite check, plan (unless given), unresolved check,
   * write with progress and cancellation, announce. Engine errors are thrown; cancellation
   * is an outcome.
   */
  async compose(args: ComposeArgs): Promise<ComposeOutcome> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Composing archives is disabled in Restricted Mode. Trust this workspace to write archives.');
      return { status: 'declined', reason: 'untrusted' };
    }
    const settings = readSettings(vscode.Uri.file(args.root));
    const target = args.exes[0] ?? '';
    let name = args.name ?? (await this.prompts.askName(basenameOf(target), target));
    if (name === undefined) return { status: 'declined', reason: 'name' };
    if (name.endsWith('.tar.gz')) name = name.slice(0, -7);
    const problem = archiveNameProblem(name);
    if (problem) throw new ComposeError('usage', undefined, `invalid archive name "${name}": ${problem}`);

    const archivePath = await archivePathFor(args.root, name);
    let force = args.force === true || settings.overwriteWithoutAsking;
    if (!force && (await exists(archivePath))) {
      if (!(await this.prompts.confirmOverwrite(archivePath))) {
        this.log.info(`Kept the existing ${archivePath}`);
        return { status: 'declined', reason: 'overwrite' };
      }
      force = true;
    }

    try {
      const plan = args.plan ?? (await this.plan(args.root, args.exes, args.inputs ?? this.defaultInputs(vscode.Uri.file(args.root)), { signal: args.signal, onProgress: args.onProgress }));
      if (plan.unresolved.length > 0 && !(await this.prompts.confirmUnresolved([...new Set(plan.unresolved.map(u => u.soname))]))) {
        return { status: 'declined', reason: 'unresolved' };
      }
      const t0 = Date.now();
      const result = await withCancellableProgress(
        { title: `Composing ${name}.tar.gz`, signal: args.signal, onProgress: args.onProgress },
        (signal, onProgress) => writeArchive(plan, { name, force, gzipLevel: settings.gzipLevel, signal, onProgress }),
      );
      this.log.info(`Wrote ${result.path} (${result.bytes} bytes) in ${Date.now() - t0} ms`);
      const written: WrittenArchive = { ...result, root: args.root };
      void this.prompts.announce(written);
      return { status: 'written', ...written };
    } catch (err) {
      if (err instanceof CancelledError) {
        this.log.info(`Compose of ${name} cancelled; nothing written`);
        return { status: 'cancelled' };
      }
      if (err instanceof ComposeError && err.kind === 'io' && err.file === archivePath && /already exists/.test(err.message)) {
        // Appeared between our check and the write: say it in the extension's words.
        throw new ComposeError('io', archivePath, 'already exists (created while composing); run Compose Archive again to replace it');
      }
      throw err;
    }
  }
}
