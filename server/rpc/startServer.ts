/**
 * Starts the backend on a transport. stdio and node-ipc serve one client and exit with it (stdin closed, IPC
 * disconnected, or its process id gone: checked every second); socket mode listens and serves each client that
 * connects, training on between clients. An uncaught error is reported as an `error` status before exit.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  createConnection,
  createProtocolConnection,
  type InitializeParams,
  type MessageReader,
  type MessageWriter,
  type ResponseMessage,
  type WatchDog,
} from 'vscode-languageserver';
import {
  IPCMessageReader,
  IPCMessageWriter,
  ProposedFeatures,
  SocketMessageWriter,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import { workerScriptProblem } from '../worker/workerScript';
import { MlmErrorCodes } from '../../protocol/errors';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import { AppState, type AppOptions } from '../app/appState';
import { DEFAULT_MAX_MESSAGE_BYTES, FramedMessageReader } from './framedReader';
import { startSession, type Session } from './session';
import type { Transport } from './transport';
import { socketToken, TOKEN_ENV, TokenGateReader } from './tokenGate';

const PARENT_CHECK_MS = 1000;

/** App-level cap on one JSON-RPC message (MLM_MAX_MESSAGE_BYTES overrides, for tests). */
function maxMessageBytes(): number {
  const n = Number(process.env.MLM_MAX_MESSAGE_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_MESSAGE_BYTES;
}

export interface RunningServer {
  /** Resolves with the socket server's address once listening (socket mode). */
  listening?: Promise<net.AddressInfo>;
}

/** The folder a socket backend serves and the folders request paths may name (each must exist). */
function socketRoots(t: Extract<Transport, { kind: 'socket' }>): AppOptions {
  const workspace = path.resolve(t.workspace ?? process.cwd());
  const roots = [workspace, ...t.roots.map((r) => path.resolve(r))];
  for (const r of roots) {
    if (!fs.statSync(r, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`${r} is not a folder: --workspace and --root need existing folders`);
    }
  }
  return { workspace, roots };
}

/** How long a socket client may take to send an admitted `initialize` before it is disconnected. */
const ADMIT_TIMEOUT_MS = 10_000;

export function startServer(
  transport: Transport,
  log: (line: string) => void = () => undefined,
): RunningServer {
  const socketOptions = transport.kind === 'socket' ? socketRoots(transport) : undefined;
  const auth = transport.kind === 'socket' ? socketToken(transport.tokenFile) : undefined;
  const app = new AppState(socketOptions);
  const sessions = new Set<Session>();
  const fatal = workerScriptProblem('mlm-worker');
  let exiting = false;
  const exitProcess = (code: number): void => {
    if (exiting) return;
    exiting = true;
    process.exit(code);
  };

  const crash = (kind: string, err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    app.log('error', `${kind}: ${e.stack ?? e.message}`);
    app.status.update({
      state: 'error',
      message: `the MLM backend crashed (${e.message}); it will be restarted`,
    });
    app.status.flush();
    void Promise.all([...sessions].map((s) => s.drain(1000))).then(() => exitProcess(1));
  };
  process.on('uncaughtException', (err) => crash('uncaught exception', err));
  process.on('unhandledRejection', (err) =>
    app.log('error', `unhandled rejection: ${String((err as Error)?.stack ?? err)}`),
  );

  const serve = (
    reader: MessageReader,
    writer: MessageWriter,
    onExit: (code: number) => void,
    watchParent: boolean,
  ): Session => {
    let shutdownReceived = false;
    const watchDog: WatchDog = {
      get shutdownReceived() {
        return shutdownReceived;
      },
      set shutdownReceived(v: boolean) {
        shutdownReceived = v;
      },
      initialize: (params: InitializeParams) => {
        const pid = params.processId;
        if (!watchParent || typeof pid !== 'number') return;
        const timer = setInterval(() => {
          try {
            process.kill(pid, 0);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EPERM') return; // alive, owned by someone else
            onExit(shutdownReceived ? 0 : 1);
          }
        }, PARENT_CHECK_MS);
        timer.unref();
      },
      exit: (code: number) => onExit(code),
    };
    reader.onError((e: Error) => app.log('warn', `JSON-RPC input: ${e.message}`));
    const connection = createConnection(
      (logger) => createProtocolConnection(reader, writer, logger),
      watchDog,
      ProposedFeatures.all,
    );
    const session = startSession(connection, app, { fatal, exit: onExit, ownsBackend: watchParent });
    sessions.add(session);
    connection.onExit(() => undefined);
    return session;
  };

  switch (transport.kind) {
    case 'stdio': {
      const s = serve(
        new FramedMessageReader(process.stdin, maxMessageBytes()),
        new StreamMessageWriter(process.stdout),
        exitProcess,
        true,
      );
      const gone = (): void => void s.drain(200).then(() => exitProcess(1));
      process.stdin.on('end', gone);
      process.stdin.on('close', gone);
      process.stdout.on('error', () => exitProcess(1)); // EPIPE: the client is gone
      return {};
    }
    case 'node-ipc': {
      if (!process.send)
        throw new Error('--node-ipc needs a parent that spawned this process with an IPC channel');
      serve(new IPCMessageReader(process), new IPCMessageWriter(process), exitProcess, true);
      process.on('disconnect', () => exitProcess(1));
      return {};
    }
    case 'socket': {
      const { token, source } = auth!;
      const { workspace, roots } = socketOptions!;
      // The backend indexes its workspace and keeps runs going whether or not a client is attached.
      app.configure({ root: workspace ?? null, trusted: true, settings: DEFAULT_SETTINGS });
      log(`serving ${workspace}; request paths must lie in ${roots!.join(', ')}`);
      if (!['127.0.0.1', '::1', 'localhost'].includes(transport.host)) {
        log(
          `warning: --host ${transport.host} accepts connections from other machines and the traffic is not ` +
            'encrypted (the token travels in clear): prefer the default 127.0.0.1 with an SSH tunnel (docs/scale-out.md)',
        );
      }
      if (source === 'generated') log(`token: ${token} (enter it in MLM: Connect to Remote Backend…)`);
      else log(`token from ${source === 'file' ? transport.tokenFile : `$${TOKEN_ENV}`}`);
      const server = net.createServer((socket) => {
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        log(`client connected from ${peer}`);
        let session: Session | undefined = undefined;
        const close = (): void => {
          clearTimeout(admitTimer);
          if (session) {
            session.dispose();
            sessions.delete(session);
          }
          socket.destroy();
        };
        socket.on('close', () => {
          log(`client ${peer} disconnected`);
          close();
        });
        socket.on('error', () => close());
        const writer = new SocketMessageWriter(socket);
        const reader = new TokenGateReader(
          new FramedMessageReader(socket, maxMessageBytes()),
          token,
          (m, why) => {
            log(`refused ${peer}: ${why}`);
            const id = (m as { id?: unknown }).id;
            const answer =
              (m as { method?: unknown }).method !== undefined &&
              (typeof id === 'number' || typeof id === 'string')
                ? writer.write({
                    jsonrpc: '2.0',
                    id,
                    error: { code: MlmErrorCodes.Unauthorized, message: why },
                  } as ResponseMessage)
                : Promise.resolve();
            void answer.catch(() => undefined).finally(() => socket.end());
            setTimeout(close, 1000).unref();
          },
        );
        const admitTimer = setTimeout(() => {
          if (reader.admitted) return;
          log(`refused ${peer}: no initialize with a token within ${ADMIT_TIMEOUT_MS / 1000} s`);
          close();
        }, ADMIT_TIMEOUT_MS);
        admitTimer.unref();
        session = serve(
          reader,
          writer,
          (code) => {
            if (code === 3) exitProcess(code); // fatal: no client can use this backend
            close();
          },
          false,
        );
      });
      const listening = new Promise<net.AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(transport.port, transport.host, () => resolve(server.address() as net.AddressInfo));
      });
      return { listening };
    }
  }
}
