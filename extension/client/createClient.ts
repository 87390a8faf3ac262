/**
 * Builds the LanguageClient: locally it spawns dist/server.js over IPC; remotely it connects to `mlm serve --socket`
 * at host:port and sends the token in `initialize`.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type ErrorHandler,
  type InitializationFailedHandler,
  type LanguageClientOptions,
  type ServerOptions,
  type StreamInfo,
} from 'vscode-languageclient/node';
import type { InitializationOptions } from '../../protocol/settings';
import { REPLACE_MASK_COMMAND } from '../../protocol/inference';

export const CLIENT_ID = 'mlm';
export const CLIENT_NAME = 'MLM Studio';

/** How the client reaches its backend. */
export type BackendTransport =
  /** Spawn dist/server.js; runtime: an absolute Node binary, or undefined for the extension host's own. */
  | { kind: 'local'; runtime: string | undefined }
  /** Connect to `mlm serve --socket` at host:port with its token. */
  | { kind: 'remote'; host: string; port: number; token: string };

/** How long a remote connection attempt may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

/** A socket to host:port once connected (rejects naming the address and the cause). */
function connectSocket(host: string, port: number): Promise<StreamInfo> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new Error(`cannot connect to the MLM backend at ${host}:${port}: ${why}`));
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`));
    socket.once('error', (err) => fail(err.message));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      socket.setKeepAlive(true, 15_000);
      resolve({ reader: socket, writer: socket });
    });
  });
}

export interface ClientParts {
  extensionPath: string;
  transport: BackendTransport;
  trusted: boolean;
  log: vscode.LogOutputChannel;
  errorHandler: ErrorHandler;
  /** Language ids whose documents the backend sees (hover targets). */
  languages: string[];
  /** `initialize` failed (a remote backend refusing the token): decide instead of the library's own message. */
  initializationFailed?: InitializationFailedHandler;
}

export function createClient(parts: ClientParts): LanguageClient {
  const t = parts.transport;
  let serverOptions: ServerOptions;
  if (t.kind === 'remote') {
    serverOptions = () => connectSocket(t.host, t.port);
  } else {
    const run = {
      module: path.join(parts.extensionPath, 'dist', 'server.js'),
      transport: TransportKind.ipc,
      runtime: t.runtime,
      options: { env: { ...process.env } },
    };
    serverOptions = { run, debug: { ...run, options: { ...run.options, execArgv: ['--inspect=6019'] } } };
  }
  const initializationOptions: InitializationOptions = {
    settings: vscode.workspace.getConfiguration().get('mlm'),
    trusted: parts.trusted,
    ...(t.kind === 'remote' && { token: t.token }),
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
    ...(parts.initializationFailed && { initializationFailedHandler: parts.initializationFailed }),
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}
