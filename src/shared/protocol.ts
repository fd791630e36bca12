// The one message protocol between the extension host and the Dependency Preview webview.
// Both sides import this file; nothing else crosses the postMessage boundary.
//
// Handshake: the webview posts `ready` once its script has run; the host answers with
// `init` (the current preview, or the last error). Requests that expect an answer carry a
// `requestId`; the host answers each with the matching result message or an `error` that
// repeats the id. Messages without an id are events.

import type { DepNode, PackageUse, PlanEntry, PlanTotals, SymlinkHop, Unresolved } from '../engine/plan';

export const PROTOCOL_VERSION = 1;

import { AUTODEPS_LEVELS, type AutodepsLevel } from '../engine/units';
export { AUTODEPS_LEVELS, type AutodepsLevel };

export function isAutodepsLevel(v: unknown): v is AutodepsLevel {
  return typeof v === 'string' && (AUTODEPS_LEVELS as readonly string[]).includes(v);
}

/** The knobs that change a plan. */
export interface PlanInputs {
  autodeps: AutodepsLevel;
  /** Host path of a YAML profile, or undefined for none. */
  profile?: string;
}

/** A plan as the webview sees it: the engine's plan plus figures the host works out. */
export interface PlanView {
  root: string;
  /** Distribution name of the root, e.g. "Debian GNU/Linux 13 (trixie)". */
  rootLabel: string;
  targets: string[];
  tree: DepNode[];
  entries: PlanEntry[];
  unresolved: Unresolved[];
  totals: PlanTotals;
  layoutLinks: SymlinkHop[];
  warnings: string[];
  packages?: PackageUse[];
  autodeps?: string;
  /** Rough size of the .tar.gz, in bytes. */
  estimatedArchiveBytes: number;
  /** Host path the archive would be written to with `defaultName`. */
  archivePath: string;
  defaultName: string;
  /** Milliseconds the engine took. */
  elapsedMs: number;
}

/** Everything the webview needs to draw itself after (re)loading. */
export interface PreviewInit {
  protocol: number;
  /** What the panel shows; the webview keeps it in its state so the panel survives a reload. */
  panel: SerializedPanel;
  inputs: PlanInputs;
  /** Whether the workspace is trusted (compose is disabled otherwise). */
  canCompose: boolean;
  plan?: PlanView;
  /** Set while the host is computing a plan. */
  busy?: BusyState;
  /** Last failure, when there is no plan to show. */
  error?: ErrorInfo;
  /** Last archive written from this panel. */
  lastArchive?: { path: string; bytes: number };
}

export interface BusyState {
  requestId?: number;
  what: 'plan' | 'compose';
  phase?: string;
  done?: number;
  total?: number;
  detail?: string;
}

export interface ErrorInfo {
  message: string;
  /** ComposeError kind when the engine raised it ('usage', 'input', 'io', 'unresolved', 'cancelled'). */
  kind?: string;
  file?: string;
}

// ---------------------------------------------------------------------------------------
// Webview -> host

export interface ReadyMessage { type: 'ready'; protocol: number }
/** Recompute the plan with new inputs. Answered by `plan` or `error`. */
export interface RecomputeRequest { type: 'recompute'; requestId: number; inputs: PlanInputs }
/** Ask the host to show a file picker for a profile. Answered by `profilePicked`. */
export interface PickProfileRequest { type: 'pickProfile'; requestId: number }
/** Write the archive for the plan on screen. Answered by `composed` or `error`. */
export interface ComposeRequest { type: 'compose'; requestId: number; name: string }
/** Cancel the running request with this id. */
export interface CancelMessage { type: 'cancel'; requestId: number }
/** Open a file of the rootfs (path inside the rootfs) read-only in an editor. */
export interface OpenFileMessage { type: 'openFile'; path: string }
/** Reveal a written archive. */
export interface RevealArchiveMessage { type: 'revealArchive'; path: string }
/** The webview reports what it has drawn (used by tests and by the host's state). */
export interface RenderedMessage {
  type: 'rendered';
  /** Names of the objects shown in the dependency tree, in order, without repeats. */
  libraries: string[];
  unresolved: string[];
  files: number;
}
export interface ShowLogMessage { type: 'showLog' }

export type FromWebview =
  | ReadyMessage
  | RecomputeRequest
  | PickProfileRequest
  | ComposeRequest
  | CancelMessage
  | OpenFileMessage
  | RevealArchiveMessage
  | RenderedMessage
  | ShowLogMessage;

// ---------------------------------------------------------------------------------------
// Host -> webview

export interface InitMessage { type: 'init'; init: PreviewInit }
/** A new plan (answer to `recompute`, or pushed when the host recomputed by itself). */
export interface PlanMessage { type: 'plan'; requestId?: number; inputs: PlanInputs; plan: PlanView }
export interface ProgressMessage { type: 'progress'; busy: BusyState }
export interface ComposedMessage { type: 'composed'; requestId: number; path: string; bytes: number }
export interface ProfilePickedMessage { type: 'profilePicked'; requestId: number; profile?: string }
/** Error reply to a request (`requestId` set) or a failure of host-initiated work. */
export interface ErrorMessage { type: 'error'; requestId?: number; what: 'plan' | 'compose' | 'other'; error: ErrorInfo }
/** The request finished without a result because it was cancelled. */
export interface CancelledMessage { type: 'cancelled'; requestId?: number; what: 'plan' | 'compose' }

export type ToWebview =
  | InitMessage
  | PlanMessage
  | ProgressMessage
  | ComposedMessage
  | ProfilePickedMessage
  | ErrorMessage
  | CancelledMessage;

/** Narrow check for messages arriving from the other side (they are untyped at runtime). */
export function isFromWebview(m: unknown): m is FromWebview {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  switch (t) {
    case 'ready':
    case 'showLog':
    case 'rendered':
      return true;
    case 'recompute': {
      const r = m as Partial<RecomputeRequest>;
      return typeof r.requestId === 'number' && typeof r.inputs === 'object' && r.inputs !== null && isAutodepsLevel(r.inputs.autodeps);
    }
    case 'pickProfile':
    case 'cancel':
      return typeof (m as { requestId?: unknown }).requestId === 'number';
    case 'compose':
      return typeof (m as Partial<ComposeRequest>).requestId === 'number' && typeof (m as Partial<ComposeRequest>).name === 'string';
    case 'openFile':
    case 'revealArchive':
      return typeof (m as { path?: unknown }).path === 'string';
    default:
      return false;
  }
}

/** What the webview keeps with `setState` so a hidden-and-shown panel looks the same. */
export interface WebviewUiState {
  /** The panel the state belongs to (read back by the panel serializer after a reload). */
  panel?: SerializedPanel;
  tab?: string;
  name?: string;
  inputs?: PlanInputs;
  fileFilter?: string;
  scrollY?: number;
}

/** What the panel serializer stores to bring a panel back after a reload. */
export interface SerializedPanel {
  root: string;
  targets: string[];
  inputs?: PlanInputs;
}

/** Valid archive names: what becomes `<root>/tmp/<name>.tar.gz`. */
export function archiveNameProblem(name: string): string | undefined {
  if (!name.trim()) return 'Enter a name.';
  if (name !== name.trim()) return 'The name cannot start or end with spaces.';
  if (name.includes('/') || name.includes('\\')) return 'The name cannot contain a slash.';
  if (name === '.' || name === '..' || name.startsWith('.')) return 'The name cannot start with a dot.';
  if (!/^[A-Za-z0-9._+@-]+$/.test(name)) return 'Use letters, digits and . _ + @ - only.';
  if (name.length > 200) return 'The name is too long.';
  return undefined;
}
