/**
 * initialize / initialized / shutdown / exit and settings changes. The workspace root is the first workspace
 * folder (else rootUri); trust and settings come from initializationOptions and workspace/didChangeConfiguration.
 */
import { URI } from './uri';
import {
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver';
import { parseServerSettings, type InitializationOptions } from '../../protocol/settings';
import type { AppState } from '../app/appState';

/** Budget for a running checkpoint save after `shutdown` (the whole shutdown must finish within 2 s). */
export const SHUTDOWN_GRACE_MS = 1500;

export interface LifecycleHooks {
  /** The client has initialised: notifications may flow. Returns false when the backend must not start. */
  initialized(caps: { workDoneProgress: boolean }): boolean;
}

export function workspaceRoot(p: InitializeParams): string | null {
  const uri = p.workspaceFolders?.[0]?.uri ?? p.rootUri;
  if (uri) return URI.toFsPath(uri);
  return p.rootPath ?? null;
}

/** ownsBackend: `shutdown` ends the backend (stdio/ipc); false in socket mode, where only the session ends. */
export function registerLifecycle(
  connection: Connection,
  app: AppState,
  hooks: LifecycleHooks,
  ownsBackend: boolean,
): void {
  let init: InitializeParams | undefined;

  connection.onInitialize((params): InitializeResult => {
    init = params;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
      },
      serverInfo: { name: 'mlm-studio-backend', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    const p = init!;
    const opts = (p.initializationOptions ?? {}) as InitializationOptions;
    const parsed = parseServerSettings(opts.settings);
    for (const e of parsed.errors) connection.console.warn(e);
    if (!hooks.initialized({ workDoneProgress: Boolean(p.capabilities.window?.workDoneProgress) })) return;
    app.configure({ root: workspaceRoot(p), trusted: opts.trusted !== false, settings: parsed.settings });
  });

  connection.onDidChangeConfiguration((change) => {
    const parsed = parseServerSettings(change.settings);
    for (const e of parsed.errors) connection.console.warn(e);
    app.updateSettings(parsed.settings);
  });

  connection.onShutdown(() => (ownsBackend ? app.shutdown(SHUTDOWN_GRACE_MS) : undefined));
}
