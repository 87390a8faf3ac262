/**
 * The server's state, shared by every client session of this process: the active run, the inference model,
 * the corpus index, telemetry and the one ServerStatus. It knows nothing of JSON-RPC: the sessions of server/rpc
 * subscribe as listeners and turn the events into notifications, and their handlers call the methods here.
 *
 * Over 300 lines: the one state every session shares; each part it wires (runs, model, corpus, telemetry, path
 * policy) lives in its own module, and this file only routes requests and events between them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CorpusStats } from '../../protocol/corpus';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { ResolvedRunConfig, RunConfigTask } from '../../protocol/runConfig';
import { DEFAULT_SETTINGS, type ServerSettings } from '../../protocol/settings';
import type { GpuTelemetry, ServerStatus } from '../../protocol/status';
import type { MetricsNotification, RunFinishedNotification, TrainRequest } from '../../protocol/training';
import { listRuns } from '../ml/checkpoint';
import { defaultRunsRoot } from '../ml/checkpoint/runDir';
import { CorpusIndex } from '../corpus/corpusIndex';
import { readTextStats } from '../corpus/readText';
import { CorpusWatcher } from '../corpus/watcher';
import { NvidiaSmiPoller } from '../telemetry/nvidiaSmiPoller';
import { TelemetryLoop } from '../telemetry/telemetry';
import { InferenceHost } from '../worker/inferenceHost';
import { SurpriseLens } from './surpriseLens';
import { FillMaskModel } from './fillMaskModel';
import { finetuneConfigOf } from './finetuneConfig';
import { TaskModel } from './taskModel';
import { isTaskModelFolder } from '../ml/finetune';
import type { WorkerBackend } from '../worker/messages';
import { MetricsBatcher } from './metricsBatcher';
import { RunManager } from './runManager';
import { loadRunConfigFile, resolveRunConfig } from './runConfigFile';
import { StatusStore } from './statusStore';
import { PathPolicy } from './pathPolicy';
import { serverEnv, type ServerEnv } from './serverEnv';

export type LogLevel = 'info' | 'warn' | 'error';

export type ProgressKey = 'corpus' | 'run';
export type ProgressUpdate = { message: string; fraction?: number } | undefined;

export interface AppListener {
  status(s: ServerStatus): void;
  metrics(p: MetricsNotification.Params): void;
  runFinished(p: RunFinishedNotification.Params): void;
  gpu(t: GpuTelemetry): void;
  progress(key: ProgressKey, p: ProgressUpdate): void;
  log(level: LogLevel, message: string): void;
}

/** How the server was started (a socket backend serves a fixed workspace and confines request paths). */
export interface AppOptions {
  /** The workspace this backend serves, whatever clients say in `initialize` (socket mode). */
  workspace?: string;
  /** Folders request paths must lie in (socket mode: the workspace and each --root); empty = unconfined. */
  roots?: string[];
}

export class AppState {
  settings: ServerSettings = DEFAULT_SETTINGS;
  root: string | null = null;
  trusted = true;
  readonly status: StatusStore;
  readonly runs: RunManager;
  readonly inference: InferenceHost;
  /** The fill-mask model (hovers, mlm/fillMask, mlm/loadCheckpoint). */
  readonly model: FillMaskModel;
  /** The task model (mlm/predict, mlm/loadTaskModel): a fine-tune run's checkpoints load here. */
  readonly tasks: TaskModel;
  /** The surprise lens (mlm/surprise): passages scored word by word with the fill-mask model. */
  readonly lens: SurpriseLens;
  private readonly listeners = new Set<AppListener>();
  private readonly metrics: MetricsBatcher;
  private readonly telemetry: TelemetryLoop;
  private corpus: { index: CorpusIndex; watcher: CorpusWatcher } | undefined;
  private lastGpu: GpuTelemetry | undefined;
  private backendName = '';
  /** The WebGPU adapter when the backend is webgpu (from the workers' ready messages). */
  private backendGpu: WorkerBackend['gpu'];
  private readonly env: ServerEnv = serverEnv();
  /** The env-gated test hooks (serverEnv.ts). */
  get testHooks(): Pick<ServerEnv, 'hangHover'> {
    return { hangHover: this.env.hangHover };
  }
  /** Where request paths may point (server/app/pathPolicy.ts). */
  readonly paths: PathPolicy;

  constructor(private readonly options: AppOptions = {}) {
    this.paths = new PathPolicy(options.roots ?? []);
    this.status = new StatusStore((s) => this.emit((l) => l.status(s)));
    this.metrics = new MetricsBatcher((p) => this.emit((l) => l.metrics(p)));
    const workerBackend = { backend: this.env.backend };
    const trace = this.env.traceFillMask ? (m: string): void => this.log('info', m) : undefined;
    this.inference = new InferenceHost(
      () => ({ ...workerBackend, threads: 1 }),
      {
        backend: (b) => this.onWorkerBackend(b),
        log: (level, message) => this.log(level, message),
        fillBatch: trace
          ? (b) => trace(`fill-mask worker batch #${b.id}: ${b.texts} texts, ${b.dropped} cancelled dropped`)
          : undefined,
      },
      undefined,
      () => ({
        fillDeadlineMs: this.settings.inference.deadlineSeconds * 1000,
        watchdogMs: this.settings.inference.watchdogSeconds * 1000,
      }),
    );
    this.model = new FillMaskModel(this.inference, {
      status: (patch) => this.status.update(patch),
      log: (level, message) => this.log(level, message),
      root: () => this.root,
      maskToken: () => this.settings.hover.maskToken,
      trace,
    });
    this.lens = new SurpriseLens(this.inference);
    this.tasks = new TaskModel(this.inference, {
      status: (patch) => this.status.update(patch),
      log: (level, message) => this.log(level, message),
      root: () => this.root,
    });
    this.runs = new RunManager(
      {
        status: (patch) => this.status.update(patch),
        backend: (b) => this.onWorkerBackend(b),
        metrics: (runId, r) => this.metrics.add(runId, r),
        checkpoint: (_runId, _runDir, info, task) =>
          task ? this.tasks.request(info.dir) : this.model.request(info.dir, 'published'),
        progress: (p) => this.emit((l) => l.progress('run', p)),
        log: (level, message) => this.log(level, message),
        finished: (p) => {
          this.metrics.flush();
          this.emit((l) => l.runFinished(p));
          // A fine-tune run ends with its best checkpoint as the task model (the run folder resolves to it).
          if (p.task) this.tasks.request(p.runDir);
          else if (p.lastCheckpoint) this.model.request(p.lastCheckpoint, 'published');
        },
      },
      () => workerBackend,
    );
    const poller = new NvidiaSmiPoller({
      timeoutMs: this.env.smiTimeoutMs,
      baseBackoffMs: this.env.smiBackoffMs,
      maxBackoffMs: 5 * 60_000,
      mayRun: () => !this.runs.backendStarting,
    });
    this.telemetry = new TelemetryLoop(
      {
        poller,
        backend: () => ({ backend: this.backendName, cores: os.cpus().length || 1, gpu: this.backendGpu }),
        tfMemory: async () => ({ inference: this.inference.memory(), trainer: this.runs.trainerMemory() }),
      },
      (t) => {
        this.lastGpu = t;
        this.emit((l) => l.gpu(t));
      },
      this.pollMs(),
    );
  }

  addListener(l: AppListener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  private emit(f: (l: AppListener) => void): void {
    for (const l of this.listeners) {
      try {
        f(l);
      } catch {
        // a closed connection must not break the server
      }
    }
  }

  log(level: LogLevel, message: string): void {
    this.emit((l) => l.log(level, message));
  }

  get gpu(): GpuTelemetry | undefined {
    return this.lastGpu;
  }

  private pollMs(): number {
    return this.env.gpuPollMs ?? this.settings.telemetry.gpuPollSeconds * 1000;
  }

  private telemetryStarted = false;

  /** Called when a client has initialised: workspace root, trust and settings. */
  configure(opts: { root: string | null; trusted: boolean; settings: ServerSettings }): void {
    if (this.options.workspace !== undefined) {
      // A socket backend serves the workspace it was started with (the client's folder is on another machine);
      // whoever started it with that folder trusts it.
      opts = { ...opts, root: this.options.workspace, trusted: true };
    }
    const rootChanged = opts.root !== this.root || opts.trusted !== this.trusted;
    this.root = opts.root;
    this.trusted = opts.trusted;
    this.updateSettings(opts.settings);
    if (!this.telemetryStarted) {
      this.telemetryStarted = true;
      // The first mlm/gpu names the backend: sample once the inference worker's TF.js is up (or it failed).
      void this.inference.warmUp().then(() => this.telemetry.start());
    }
    if (rootChanged && !this.runs.activeRun) {
      void this.restartCorpus();
      this.loadNewestRun();
    }
    this.status.flush();
  }

  updateSettings(settings: ServerSettings): void {
    this.settings = settings;
    this.telemetry.setPeriod(this.pollMs());
    this.corpus?.index.setGlobs(this.indexGlobs());
  }

  private indexGlobs(): { include: string[]; exclude: string[]; maxFileBytes: number } {
    return { ...this.settings.corpus, maxFileBytes: this.env.maxFileBytes };
  }

  private async restartCorpus(): Promise<void> {
    const old = this.corpus;
    this.corpus = undefined;
    await old?.watcher.close();
    if (!this.root || !this.trusted) return;
    const index = new CorpusIndex(this.root, this.indexGlobs(), readTextStats, {
      changed: () => undefined,
      progress: (p) => this.emit((l) => l.progress('corpus', p)),
    });
    const watcher = new CorpusWatcher(index, {
      rescanMs: 30_000,
      stabilityMs: this.env.stabilityMs,
      log: (level, message) => this.log(level, message),
    });
    this.corpus = { index, watcher };
    watcher.start();
  }

  /** The backend choice of workers ('auto' unless MLM_BACKEND says otherwise). */
  get workerBackend(): string {
    return this.env.backend;
  }

  /** The indexed corpus files a run's globs select (what mlm/train gives a run), or undefined without an index. */
  async corpusFiles(include: string[], exclude: string[]): Promise<string[] | undefined> {
    if (!this.corpus) return undefined;
    await this.corpus.index.scanned();
    return this.corpus.index.filesFor(include, exclude);
  }

  corpusStats(): CorpusStats {
    if (this.corpus) return this.corpus.index.stats();
    const message = !this.root
      ? 'no workspace folder is open: open a folder to index its text'
      : 'the workspace is not trusted: trust it to index its text (Restricted Mode)';
    return {
      root: this.root,
      files: 0,
      chars: 0,
      bytes: 0,
      skipped: {},
      indexing: false,
      version: 0,
      updatedAt: 0,
      message,
    };
  }

  // ── training ──────────────────────────────────────────────────────────────────────────────────────

  async train(params: TrainRequest.Params): Promise<TrainRequest.Result> {
    if (!this.trusted) {
      throw new MlmError(
        MlmErrorCodes.Untrusted,
        'training is off in Restricted Mode: trust this workspace to train',
      );
    }
    if (!this.root || !this.corpus) {
      throw new MlmError(
        MlmErrorCodes.NoWorkspace,
        'no workspace folder is open: open the folder that holds your text',
      );
    }
    this.runs.assertIdle();
    const { raw, config, source } = this.resolveConfig(params);
    if (config.task) {
      // A fine-tune run resumes in its own folder (runFinetune says so when it is not one).
      const resumeFrom =
        params.resumeFrom !== undefined ? this.requestPath(params.resumeFrom, 'resumeFrom') : undefined;
      const finetune = finetuneConfigOf(
        raw,
        config as ResolvedRunConfig & { task: RunConfigTask },
        this.root,
        source,
      );
      return this.runs.start({ config, root: this.root, corpusFiles: [], resumeFrom, finetune });
    }
    await this.corpus.index.scanned();
    const files = this.corpus.index.filesFor(config.corpus.include, config.corpus.exclude);
    if (!files.length) {
      throw new MlmError(
        MlmErrorCodes.InvalidRunConfig,
        `no corpus files: corpus.include ${JSON.stringify(config.corpus.include)} matches no readable text file under ` +
          `${this.root}; add .txt/.md files or change corpus.include`,
        { errors: [`corpus.include matches no readable file under ${this.root}`] },
      );
    }
    return this.runs.start({
      config,
      root: this.root,
      corpusFiles: files,
      resumeFrom: params.resumeFrom !== undefined ? this.runFolder(params.resumeFrom) : undefined,
    });
  }

  /** The workspace whose runs clients may read (mlm/runMetrics, mlm/runDetails); NoWorkspace / Untrusted otherwise. */
  runsWorkspace(): string {
    if (!this.root) {
      throw new MlmError(
        MlmErrorCodes.NoWorkspace,
        'no workspace folder is open: its runs are listed once one is',
      );
    }
    if (!this.trusted) {
      throw new MlmError(MlmErrorCodes.Untrusted, 'the workspace is not trusted: trust it to see its runs');
    }
    return this.root;
  }

  /** A path named in a request, absolute (relative = to the workspace root) and inside the served roots. */
  requestPath(p: string, what: string): string {
    return this.paths.resolve(p, this.root ?? process.cwd(), what);
  }

  /** resumeFrom of mlm/train: an existing run folder inside the served roots. */
  private runFolder(p: string): string {
    const dir = this.requestPath(p, 'resumeFrom');
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      throw new MlmError(
        MlmErrorCodes.InvalidParams,
        `resumeFrom ${JSON.stringify(p)} is not a run folder (no config.json in ${dir}): pass .mlm/runs/<run-id>`,
      );
    }
    return dir;
  }

  /** Every path a run config names must lie inside the served roots (socket mode). */
  private checkConfigPaths(config: ResolvedRunConfig): void {
    if (!this.paths.confined) return;
    for (const p of config.corpus.paths ?? []) this.requestPath(p, 'corpus.paths entry');
    if (config.tokenizer.path) this.requestPath(config.tokenizer.path, 'tokenizer.path');
    if (config.model.init) this.requestPath(config.model.init, 'model.init');
    for (const [k, p] of Object.entries({
      train: config.task?.train,
      init: config.task?.init,
      eval: config.task?.eval,
    }))
      if (p) this.requestPath(p, `task.${k}`);
    if (config.output.dir) this.requestPath(config.output.dir, 'output.dir');
  }

  /** mlm/loadCheckpoint: a run or checkpoint folder inside the served roots. */
  loadCheckpoint(p: string): ReturnType<FillMaskModel['load']> {
    return this.model.load(this.requestPath(p, 'checkpoint path'), 'loaded');
  }

  /** The request's run config, validated; `raw` as written (a fine-tune run takes the fields the user set). */
  private resolveConfig(params: TrainRequest.Params): {
    raw: unknown;
    config: ResolvedRunConfig;
    source: string;
  } {
    if (params.config === undefined && params.configPath === undefined && params.resumeFrom !== undefined) {
      // Resume Run: the run continues with the config saved in its folder.
      const dir = this.runFolder(params.resumeFrom);
      if (isTaskModelFolder(dir)) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          `${dir} is a fine-tune run: continue it with its fine-tune config (MLM: Fine-tune… on the same run, or mlm finetune --resume ${dir})`,
        );
      }
      const file = path.join(dir, 'config.json');
      const raw = loadRunConfigFile(file);
      return { raw, config: resolveRunConfig(raw, file), source: file };
    }
    if ((params.config === undefined) === (params.configPath === undefined)) {
      throw new MlmError(
        MlmErrorCodes.InvalidParams,
        'mlm/train needs exactly one of "config" (an object) or "configPath" (or "resumeFrom" alone: a run folder)',
      );
    }
    const file =
      params.configPath === undefined ? undefined : this.requestPath(params.configPath, 'configPath');
    const raw = file === undefined ? params.config : loadRunConfigFile(file);
    const source = file ?? 'the request';
    const config = resolveRunConfig(raw, source);
    this.checkConfigPaths(config);
    return { raw, config, source };
  }

  // ── inference ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * Loads the newest pretraining run's best/newest checkpoint at start, so hovers work before any training, and the
   * newest fine-tune run as the task model (Classify Selection, mlm/predict).
   */
  private loadNewestRun(): void {
    if (!this.root || !this.trusted) return;
    const runs = listRuns(defaultRunsRoot(this.root)).filter((r) => r.checkpoints.length > 0);
    const mlm = runs.find((r) => !isTaskModelFolder(r.dir));
    const task = runs.find((r) => isTaskModelFolder(r.dir));
    if (mlm) this.model.request(mlm.dir, 'latest-run');
    if (task) this.tasks.request(task.dir);
  }

  private onWorkerBackend(b: WorkerBackend): void {
    if (b.gpu) this.backendGpu = b.gpu;
    if (this.backendName === b.name) return;
    this.backendName = b.name;
    this.status.update({ backend: b.name, device: b.device });
    for (const r of b.reasons) this.log('info', `backend: ${r}`);
  }

  /** Ends everything: the run gets graceMs to finish its checkpoint, then workers are terminated. */
  async shutdown(graceMs: number): Promise<void> {
    this.telemetry.stop();
    await Promise.all([this.runs.shutdown(graceMs), this.inference.dispose(), this.corpus?.watcher.close()]);
    this.metrics.flush();
    this.status.dispose();
  }
}
