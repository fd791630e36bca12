// The webview side of the VS Code API, typed with our message and state types.

import type { FromWebview, WebviewUiState } from '../../src/shared/protocol';

interface VsCodeApi {
  postMessage(msg: FromWebview): void;
  getState(): WebviewUiState | undefined;
  setState(state: WebviewUiState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscodeApi: VsCodeApi = acquireVsCodeApi();
