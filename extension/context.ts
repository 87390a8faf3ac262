/**
 * The extension's context object: owns the backend client (start, stop, restart), the last status the backend
 * reported, the events the UI listens to, the context keys that enable commands, and the disposables.
 *
 * Over 300 lines: one connection's whole lifecycle (spawn or attach, crash policy, remote reconnects) around one
 * client; the pure parts are in client/ (crash policy, back-off, error handlers).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { State } from 'vscode-languageclient/node';
import {
  FatalNotification,
  GpuNotification,
  ServerStatusNotification,
  StatusRequest,
  type GpuTelemetry,
  type ServerStatus,
} from '../protocol/status';
import type { MetricRecord } from '../protocol/shared/metrics';
import { isRunActive } from '../protocol/shared/runState';
import { MetricsNotification, RunFinishedNotification } from '../protocol/training';
import { CLIENT_NAME, createClient, type BackendTransport } from './client/createClient';
import { CrashHandler, RemoteErrorHandler } from './client/errorHandler';
import { Backoff, isUnauthorized, tokenKey } from './client/remote';
import { chooseBackendRuntime, processRuntimeProbe } from './client/runtime';
import { CrashPolicy, stoppedNotice, type CloseDecision } from './client/crashPolicy';
import { readClientSettings, readServerSettings } from './config';
import { formatRemoteAddress, type RemoteAddress } from './settings';
import type { ConnectionState } from './status/render';

/** Records kept in memory per run for the dashboard (the rest is on disk in metrics.jsonl). */
const MAX_CACHED_RECORDS = 20_000;

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private client: LanguageClient | undefined;
  private clientSubscriptions: vscode.Disposable[] = [];
  private readonly crashPolicy = new CrashPolicy();
  /** The last start/stop/restart; the next one waits for it. */
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly subscriptions: vscode.Disposable[] = [];

  connection: ConnectionState = 'starting';
  status: ServerStatus | undefined;
  gpu: GpuTelemetry | undefined;
  /** Why the client stopped for good (shown in the status tooltip). */
  stopMessage: string | undefined;
  /** The last mlm/runFinished (the dashboard shows it when no run is active). */
  lastFinished: RunFinishedNotification.Params | undefined;
  /** Live metric rows per run received since activation. */
  readonly liveMetrics = new Map<string, MetricRecord[]>();
  /**
   * Runs resumed (MLM: Resume Run…) and not finished since, with the checkpoint step they continue from: rows on disk
   * after it belong to the interrupted process and are being trained again (the dashboard draws the live ones).
   */
  readonly resumedFrom = new Map<string, number>();
  /** The remote backend attached to (mlm.server.mode "remote"), else undefined: the backend is spawned here. */
  remote: RemoteAddress | undefined;
  private readonly backoff = new Backoff();
  /** The settings the current connection was made with (a change event restarts only when they differ). */
  private connectedWith = '';
  /** useBackend() is writing the settings: their change events must not restart the connection meanwhile. */
  private switching = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private readonly statusEmitter = new vscode.EventEmitter<void>();
  private readonly metricsEmitter = new vscode.EventEmitter<MetricsNotification.Params>();
  private readonly gpuEmitter = new vscode.EventEmitter<GpuTelemetry>();
  private readonly runFinishedEmitter = new vscode.EventEmitter<RunFinishedNotification.Params>();
  private readonly serverStartedEmitter = new vscode.EventEmitter<number | undefined>();
  private readonly runResumedEmitter = new vscode.EventEmitter<string>();
  /** Status, GPU or connection changed. */
  readonly onDidChange = this.statusEmitter.event;
  readonly onMetrics = this.metricsEmitter.event;
  readonly onGpu = this.gpuEmitter.event;
  readonly onRunFinished = this.runFinishedEmitter.event;
  /** The backend reached Running; the argument is its process id. */
  readonly onServerStarted = this.serverStartedEmitter.event;
  /** A run is being resumed (its id): views redraw its history up to the checkpoint it continues from. */
  readonly onRunResumed = this.runResumedEmitter.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
    this.subscriptions.push(
      this.log,
      this.statusEmitter,
      this.metricsEmitter,
      this.gpuEmitter,
      this.runFinishedEmitter,
      this.serverStartedEmitter,
      this.runResumedEmitter,
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log.info('workspace trusted: restarting the backend with training and watching on');
        void this.restart();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        const keys = ['mlm.server.runtime', 'mlm.server.mode', 'mlm.server.address', 'mlm.hover.languages'];
        const changed = keys.filter((k) => e.affectsConfiguration(k));
        if (changed.length && !this.switching && this.connectionKey() !== this.connectedWith) {
          this.log.info(`${changed.join(', ')} changed: restarting the backend connection`);
          void this.restart();
        }
      }),
    );
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The running client, or an error that says what to do. */
  requireClient(): LanguageClient {
    if (!this.client || !this.running) {
      throw new Error(
        this.connection === 'stopped'
          ? 'The MLM backend is stopped. Run "MLM: Restart Backend" (see "MLM: Show Backend Logs" for why it stopped).'
          : 'The MLM backend is still starting. Try again in a moment.',
      );
    }
    return this.client;
  }

  /** Process id of the backend, when it runs (tests kill it to check the restart). */
  get serverPid(): number | undefined {
    return this.client?.serverProcess?.pid;
  }

  /** What a connection depends on: runtime, mode, address, hover languages. */
  private connectionKey(): string {
    const { settings } = readClientSettings();
    const { runtime, mode, address } = settings;
    return JSON.stringify([runtime, mode, address, readServerSettings().hover.languages]);
  }

  private async start(): Promise<void> {
    this.connectedWith = this.connectionKey();
    const { settings, errors } = readClientSettings();
    for (const e of errors) this.log.warn(e);
    const languages = readServerSettings().hover.languages;
    this.stopMessage = undefined;
    this.remote = settings.mode === 'remote' ? settings.address : undefined;
    if (settings.mode === 'remote' && !settings.address) {
      return this.remoteStopped('mlm.server.mode is "remote" but mlm.server.address is empty or invalid.');
    }
    // Which Node runs a local backend: mlm.server.runtime, else a system Node in desktop VS Code (Dawn cannot
    // run inside Electron), else the extension host's own (client/runtime.ts).
    const runtimeChoice = this.remote
      ? undefined
      : chooseBackendRuntime(settings.runtime, processRuntimeProbe());
    const transport: BackendTransport = this.remote
      ? {
          kind: 'remote',
          ...this.remote,
          token: (await this.extension.secrets.get(tokenKey(this.remote))) ?? '',
        }
      : { kind: 'local', runtime: runtimeChoice?.runtime };
    if (transport.kind === 'remote' && !transport.token) {
      return this.remoteStopped(`No token is stored for ${formatRemoteAddress(this.remote!)}.`);
    }
    this.setConnection('starting');
    let unauthorized: string | undefined;
    const handler = this.remote
      ? new RemoteErrorHandler(
          () => this.client!.createDefaultErrorHandler(),
          () => {
            // A refused token closes the connection too: that one is not retried.
            if (this.client === client && !unauthorized) this.scheduleReconnect('the connection dropped');
          },
          (m) => this.log.warn(m),
        )
      : new CrashHandler(this.crashPolicy, {
          fallback: () => this.client!.createDefaultErrorHandler(),
          onStopped: (decision) => this.onStopped(decision),
          onRestarting: () => this.setConnection('restarting'),
          log: (m) => this.log.warn(m),
        });
    const client = createClient({
      extensionPath: this.extension.extensionPath,
      transport,
      trusted: this.trusted,
      log: this.log,
      errorHandler: handler,
      languages,
      initializationFailed: (err) => {
        if (isUnauthorized(err)) unauthorized = (err as Error).message;
        return false;
      },
    });
    this.client = client;
    this.clientSubscriptions = [
      client.onNotification(ServerStatusNotification.type, (s) => this.setStatus(s)),
      client.onNotification(GpuNotification.type, (g) => {
        this.gpu = g;
        this.gpuEmitter.fire(g);
        this.statusEmitter.fire();
      }),
      client.onNotification(MetricsNotification.type, (m) => {
        this.cacheMetrics(m);
        this.metricsEmitter.fire(m);
      }),
      client.onNotification(RunFinishedNotification.type, (r) => {
        this.lastFinished = r;
        this.resumedFrom.delete(r.runId);
        this.runFinishedEmitter.fire(r);
      }),
      client.onNotification(FatalNotification.type, (f) => {
        this.log.error(`backend fatal: ${f.message}${f.detail ? `\n${f.detail}` : ''}`);
        this.crashPolicy.reportFatal(f);
      }),
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) {
          this.backoff.reset();
          this.setConnection('running');
          this.serverStartedEmitter.fire(client.serverProcess?.pid);
          void this.refreshStatus();
        } else if (e.newState === State.Stopped && this.connection !== 'restarting') {
          this.stopMessage ??=
            'The MLM backend stopped. "MLM: Show Backend Logs" says why; "MLM: Restart Backend" starts it again.';
          this.setConnection('stopped');
        }
      }),
    ];
    this.log.info(
      this.remote
        ? `connecting to the remote backend at ${formatRemoteAddress(this.remote)}`
        : `starting backend: ${runtimeChoice?.note} dist/server.js, trusted=${this.trusted}`,
    );
    try {
      await client.start();
    } catch (err) {
      // The crash handler and onDidChangeState decide the connection state (a failed start may be restarted).
      this.log.error(`backend failed to start: ${(err as Error).message}`);
      if (this.client !== client || !this.remote) return;
      if (unauthorized) {
        this.remoteStopped(`${formatRemoteAddress(this.remote)} refused the token: ${unauthorized}`);
      } else {
        this.scheduleReconnect((err as Error).message);
      }
    }
  }

  /** A remote connection that no retry can make (no address, no token, token refused): say what to do. */
  private remoteStopped(why: string): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.stopMessage = `${why} Run "MLM: Connect to Remote Backend…" to enter the address and token, or "MLM: Use Local Backend".`;
    this.log.error(this.stopMessage);
    this.setConnection('stopped');
    void vscode.window
      .showErrorMessage(this.stopMessage, 'Connect to Remote Backend…', 'Use Local Backend')
      .then((choice) => {
        if (choice === 'Connect to Remote Backend…') void vscode.commands.executeCommand('mlm.connectRemote');
        if (choice === 'Use Local Backend') void vscode.commands.executeCommand('mlm.useLocalBackend');
      });
  }

  /** The remote connection failed or dropped: try again after the next back-off delay (1 s doubling to 30 s). */
  private scheduleReconnect(why: string): void {
    if (this.reconnectTimer || !this.remote) return;
    const ms = this.backoff.next();
    const where = formatRemoteAddress(this.remote);
    this.stopMessage = `Lost the remote backend at ${where} (${why}); reconnecting in ${Math.round(ms / 1000)} s. Runs on the server keep training.`;
    this.log.warn(this.stopMessage);
    this.setConnection('restarting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.lifecycle = this.lifecycle
        .then(async () => {
          await this.stop();
          await this.start();
        })
        .catch((err) => this.log.error(`reconnect failed: ${(err as Error).message}`));
    }, ms);
  }

  /** Stops the backend and makes sure no process is left behind. */
  async stop(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    if (!client) return;
    const pid = client.serverProcess?.pid;
    this.client = undefined;
    for (const d of this.clientSubscriptions) d.dispose();
    this.clientSubscriptions = [];
    try {
      // dispose = stop (shutdown + exit, 2 s budget) and release the client's features; a new client is made on start.
      await client.dispose(2000);
    } catch (err) {
      this.log.warn(`backend did not shut down cleanly: ${(err as Error).message}`);
    }
    if (pid !== undefined) killIfAlive(pid);
    this.status = undefined;
    this.updateContextKeys();
  }

  /**
   * Writes mlm.server.mode (and mlm.server.address) to the user settings and reconnects once: to a remote backend
   * (its token must already be in SecretStorage) or to a local one. Resolves when the new connection is up or failed.
   */
  async useBackend(target: { mode: 'local' } | { mode: 'remote'; address: string }): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('mlm');
    this.switching = true;
    try {
      if (target.mode === 'remote') {
        await cfg.update('server.address', target.address, vscode.ConfigurationTarget.Global);
      }
      await cfg.update('server.mode', target.mode, vscode.ConfigurationTarget.Global);
    } finally {
      // Change events arriving after this find the settings the restart below connects with: nothing to redo.
      this.connectedWith = this.connectionKey();
      this.switching = false;
    }
    await this.restart();
  }

  /** Manual restart: forgets earlier crashes. Restarts asked for while one runs are chained, never interleaved. */
  restart(): Promise<void> {
    const next = this.lifecycle.then(async () => {
      this.crashPolicy.reset();
      this.backoff.reset();
      await this.stop();
      await this.start();
    });
    this.lifecycle = next.catch((err) => this.log.error(`restart failed: ${(err as Error).message}`));
    return next;
  }

  async refreshStatus(): Promise<void> {
    try {
      this.setStatus(await this.requireClient().sendRequest(StatusRequest.type));
    } catch (err) {
      this.log.debug(`mlm/status failed: ${(err as Error).message}`);
    }
  }

  private setStatus(status: ServerStatus): void {
    this.status = status;
    this.updateContextKeys();
    this.statusEmitter.fire();
  }

  private setConnection(state: ConnectionState): void {
    this.connection = state;
    this.updateContextKeys();
    this.statusEmitter.fire();
  }

  /** A run resumes from `checkpointStep`: live rows after it are dropped (they are trained and logged again). */
  markResumed(runId: string, checkpointStep: number): void {
    this.resumedFrom.set(runId, checkpointStep);
    const rows = this.liveMetrics.get(runId);
    if (rows)
      this.liveMetrics.set(
        runId,
        rows.filter((r) => r.step <= checkpointStep),
      );
    this.runResumedEmitter.fire(runId);
  }

  private cacheMetrics(m: MetricsNotification.Params): void {
    const rows = this.liveMetrics.get(m.runId) ?? [];
    rows.push(...m.records);
    if (rows.length > MAX_CACHED_RECORDS) rows.splice(0, rows.length - MAX_CACHED_RECORDS);
    this.liveMetrics.set(m.runId, rows);
  }

  private onStopped(decision: Exclude<CloseDecision, { action: 'restart' }>): void {
    const notice = stoppedNotice(decision, this.crashPolicy.options);
    this.stopMessage = notice.status;
    this.setConnection('stopped');
    void vscode.window.showErrorMessage(notice.message, ...notice.actions).then((choice) => {
      if (choice === 'Show Output') this.log.show();
      if (choice === 'Restart Backend') void this.restart();
    });
  }

  private updateContextKeys(): void {
    const state = this.running ? this.status?.state : undefined;
    const set = (key: string, value: boolean): void => {
      void vscode.commands.executeCommand('setContext', key, value);
    };
    set('mlm.serverRunning', this.running);
    set('mlm.training', isRunActive(state));
    set('mlm.paused', state === 'paused');
    set('mlm.taskModelLoaded', this.running && this.status?.taskModel !== undefined);
  }

  dispose(): void {
    void this.stop();
    for (const d of this.subscriptions) d.dispose();
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch {
    return; // already gone
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // raced with its exit
  }
}
