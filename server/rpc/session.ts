/**
 * One client connection to the backend: text document sync, every handler, and the app state's events turned into
 * notifications once the client has initialised. Several sessions share one AppState (socket mode).
 */
import { TextDocuments, type Connection } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FatalNotification, GpuNotification, ServerStatusNotification } from '../../protocol/status';
import { MetricsNotification, RunFinishedNotification } from '../../protocol/training';
import type { AppListener, AppState, LogLevel } from '../app/appState';
import { registerFinetune } from './finetune';
import { registerLaunch } from './launch';
import { registerHover } from './hover';
import { registerSurprise } from './surprise';
import { registerActions } from './actions';
import { registerExport } from './export';
import { registerHub } from './hub';
import { registerInference } from './inference';
import { registerLifecycle } from './lifecycle';
import { ProgressBridge } from './progress';
import { registerStatus } from './status';
import { registerTraining } from './training';

export interface SessionOptions {
  /** A condition no restart can fix (broken install): reported with mlm/fatal right after initialize, then exit. */
  fatal?: string;
  exit(code: number): void;
  /** True when this session's client owns the backend (stdio, node-ipc): its `shutdown` ends the backend. */
  ownsBackend: boolean;
}

export interface Session {
  /** Resolves when every notification sent so far has been written (bounded by timeoutMs). */
  drain(timeoutMs: number): Promise<void>;
  dispose(): void;
}

export const FATAL_EXIT_CODE = 3;

export function startSession(connection: Connection, app: AppState, opts: SessionOptions): Session {
  const documents = new TextDocuments(TextDocument);
  let ready = false;
  let workDoneProgress = false;
  const inFlight = new Set<Promise<void>>();
  const early: Array<[LogLevel, string]> = [];
  const progress = new ProgressBridge(connection, () => ready && workDoneProgress);
  const send = (f: () => Promise<void>): void => {
    if (!ready) return;
    const p = f().catch(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const listener: AppListener = {
    status: (s) => send(() => connection.sendNotification(ServerStatusNotification.type, s)),
    metrics: (p) => send(() => connection.sendNotification(MetricsNotification.type, p)),
    runFinished: (p) => send(() => connection.sendNotification(RunFinishedNotification.type, p)),
    gpu: (t) => send(() => connection.sendNotification(GpuNotification.type, t)),
    progress: (key, p) => progress.update(key, p),
    log: (level, message) => {
      // Before `initialized` the client may not listen yet: keep the first lines and send them then.
      if (!ready) {
        if (early.length < 100) early.push([level, message]);
        return;
      }
      if (level === 'error') connection.console.error(message);
      else if (level === 'warn') connection.console.warn(message);
      else connection.console.info(message);
    },
  };
  const subscription = app.addListener(listener);

  const session: Session = {
    drain: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...inFlight]),
        new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
    dispose: () => {
      ready = false;
      subscription.dispose();
      progress.dispose();
    },
  };

  registerLifecycle(
    connection,
    app,
    {
      initialized: (caps) => {
        ready = true;
        workDoneProgress = caps.workDoneProgress;
        for (const [level, message] of early.splice(0)) listener.log(level, message);
        if (opts.fatal) {
          const message = opts.fatal;
          app.status.update({ state: 'error', message });
          send(() =>
            connection.sendNotification(FatalNotification.type, { message, exitCode: FATAL_EXIT_CODE }),
          );
          void session.drain(1000).then(() => opts.exit(FATAL_EXIT_CODE));
          return false;
        }
        const gpu = app.gpu;
        if (gpu) send(() => connection.sendNotification(GpuNotification.type, gpu));
        return true;
      },
    },
    opts.ownsBackend,
  );
  registerStatus(connection, app);
  registerTraining(connection, app);
  registerInference(connection, documents, app);
  registerHub(connection, app);
  registerHover(connection, documents, app);
  registerSurprise(connection, documents, app);
  registerExport(connection, app);
  registerActions(connection, app);
  registerFinetune(connection, app);
  registerLaunch(connection, app);
  documents.listen(connection);
  connection.listen();
  return session;
}
