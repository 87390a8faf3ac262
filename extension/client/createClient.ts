/** Builds the LanguageClient that spawns dist/server.js over IPC. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { InitializationOptions } from '../../protocol/settings';
import { REPLACE_MASK_COMMAND } from '../../protocol/inference';

export const CLIENT_ID = 'mlm';
export const CLIENT_NAME = 'MLM Studio';

export interface ClientParts {
  extensionPath: string;
  /** Absolute Node binary, or undefined to fork with the extension host's own runtime. */
  runtime: string | undefined;
  trusted: boolean;
  log: vscode.LogOutputChannel;
  errorHandler: ErrorHandler;
  /** Language ids whose documents the backend sees (hover targets). */
  languages: string[];
}

export function createClient(parts: ClientParts): LanguageClient {
  const module = path.join(parts.extensionPath, 'dist', 'server.js');
  const run = {
    module,
    transport: TransportKind.ipc,
    runtime: parts.runtime,
    options: { env: { ...process.env } },
  };
  const serverOptions: ServerOptions = {
    run,
    debug: { ...run, options: { ...run.options, execArgv: ['--inspect=6019'] } },
  };
  const initializationOptions: InitializationOptions = {
    settings: vscode.workspace.getConfiguration().get('mlm'),
    trusted: parts.trusted,
  };
  const documentSelector = [
    ...parts.languages.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    { scheme: 'file', pattern: '**/*.mlm.json' },
  ];
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    initializationOptions,
    synchronize: { configurationSection: 'mlm' },
    outputChannel: parts.log,
    traceOutputChannel: parts.log,
    errorHandler: parts.errorHandler,
    // Hover rows link to mlm.replaceMask; only that command runs from the backend's markdown.
    markdown: { isTrusted: { enabledCommands: [REPLACE_MASK_COMMAND] }, supportHtml: false },
    // We show our own actionable messages; the library must not pop up its own.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    connectionOptions: { maxRestartCount: 4 },
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}
