/**
 * Starts the backend on a transport. stdio and node-ipc serve one client and exit with it (stdin closed, IPC
 * disconnected, or its process id gone: checked every second); socket mode listens and serves each client that
 * connects, training on between clients. An uncaught error is reported as an `error` status before exit.
 */
import net from 'node:net';
import {
  createConnection,
  createProtocolConnection,
  type InitializeParams,
  type MessageReader,
  type MessageWriter,
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
import { AppState } from '../app/appState';
import { DEFAULT_MAX_MESSAGE_BYTES, FramedMessageReader } from './framedReader';
import { startSession, type Session } from './session';
import type { Transport } from './transport';

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

export function startServer(
  transport: Transport,
  log: (line: string) => void = () => undefined,
): RunningServer {
  const app = new AppState();
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
      const server = net.createServer((socket) => {
        log(`client connected from ${socket.remoteAddress}:${socket.remotePort}`);
        let session: Session | undefined = undefined;
        const close = (): void => {
          if (session) {
            session.dispose();
            sessions.delete(session);
          }
          socket.destroy();
        };
        socket.on('close', () => {
          log('client disconnected');
          close();
        });
        socket.on('error', () => close());
        session = serve(
          new FramedMessageReader(socket, maxMessageBytes()),
          new SocketMessageWriter(socket),
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
