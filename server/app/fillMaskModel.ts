/**
 * The model hovers and mlm/fillMask use: which checkpoint is loaded in the inference worker, when to reload it
 * (coalesced, at most every RELOAD_INTERVAL_MS for a training run's checkpoints and, while hovers keep coming, when
 * they pause), and fill-mask calls with
 * errors mapped to MlmErrorCodes, answered from a cache per model generation when the same input comes again.
 */
import path from 'node:path';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { FillMaskRequest, LoadCheckpointRequest } from '../../protocol/inference';
import type { LoadedModelInfo, ServerStatus } from '../../protocol/status';
import { isTaskModelFolder } from '../ml/finetune';
import type { InferenceHost } from '../worker/inferenceHost';
import type { LoadedModel } from '../worker/messages';
import { FillMaskCache, fillCacheKey, type FillCacheKey, type FillCacheStats } from './fillMaskCache';

/** Minimum time between two reloads of the fill-mask model from a training run's checkpoints. */
export const RELOAD_INTERVAL_MS = 2000;

/**
 * While fills keep coming (someone is hovering), a run's next checkpoint waits until they pause for this long: a
 * load occupies the worker (hundreds of ms on a busy machine), and a hover that queues behind it waits that long.
 */
export const FILL_QUIET_MS = 1000;

/** ... but never longer than this after the previous load: the model still follows the run while hovers go on. */
export const RELOAD_DEFER_MAX_MS = 10_000;

/** Fill-mask answers kept (hovers and mlm/fillMask together), least recently used dropped first. */
export const FILL_CACHE_ENTRIES = 256;

export interface FillMaskModelHooks {
  status(patch: Partial<ServerStatus>): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Relative paths resolve against the workspace root. */
  root(): string | null;
  maskToken(): string;
  /** One line per fill-mask answer (cache hit or computed), when tracing is on (MLM_TRACE_FILL_MASK). */
  trace?(message: string): void;
}

/** The document version and text window a hover's fill-mask answer belongs to. */
export interface FillScope {
  uri: string;
  version: number;
  /** Where the window text starts in the document. */
  start: number;
  /** False once the document has moved on from `version`. */
  isCurrent(): boolean;
}

export class FillMaskModel {
  private queued: { dir: string; source: LoadedModelInfo['source'] } | undefined;
  private loading = false;
  private lastLoadAt = 0;
  private lastFillAt = -Infinity;
  private readonly cache = new FillMaskCache<FillMaskRequest.Result>(FILL_CACHE_ENTRIES);
  private readonly running = new Map<
    string,
    {
      promise: Promise<{ result: FillMaskRequest.Result; generation: number }>;
      callers: Array<() => boolean>;
    }
  >();

  constructor(
    private readonly inference: InferenceHost,
    private readonly hooks: FillMaskModelHooks,
  ) {}

  get current(): LoadedModel | undefined {
    return this.inference.model;
  }

  /**
   * Loads dir in the background; while a load runs only the newest further request is kept. A load occupies the
   * inference worker, so a run's checkpoints ('published') are loaded at most every RELOAD_INTERVAL_MS and, while
   * fills keep coming, when they pause (publishedWait) — hovers do not queue behind reloads — and the newest one
   * always ends up loaded.
   */
  request(dir: string, source: LoadedModelInfo['source']): void {
    this.queued = { dir, source };
    if (!this.loading) void this.drain();
  }

  private async drain(): Promise<void> {
    this.loading = true;
    try {
      while (this.queued) {
        for (let wait = this.publishedWait(); wait > 0; wait = this.publishedWait()) {
          await new Promise((r) => setTimeout(r, wait).unref());
        }
        const next = this.queued;
        if (!next) break;
        this.queued = undefined;
        try {
          await this.load(next.dir, next.source);
        } catch (err) {
          this.hooks.log('warn', `could not load the model of ${next.dir}: ${(err as Error).message}`);
        }
        this.lastLoadAt = Date.now();
      }
    } finally {
      this.loading = false;
    }
  }

  /**
   * How long the queued load still waits: a run's checkpoint ('published') at least RELOAD_INTERVAL_MS after the
   * previous load, and until fills pause for FILL_QUIET_MS — at most RELOAD_DEFER_MAX_MS after the previous load.
   * Other loads (an explicit choice) do not wait.
   */
  private publishedWait(): number {
    if (this.queued?.source !== 'published') return 0;
    const quiet = Math.min(this.lastFillAt + FILL_QUIET_MS, this.lastLoadAt + RELOAD_DEFER_MAX_MS);
    return Math.max(this.lastLoadAt + RELOAD_INTERVAL_MS, quiet) - Date.now();
  }

  /** Loads now (mlm/loadCheckpoint); CheckpointNotFound when the folder holds no usable checkpoint. */
  async load(
    dir: string,
    source: LoadedModelInfo['source'],
    label?: string,
  ): Promise<LoadCheckpointRequest.Result> {
    // An explicit choice outranks a startup or checkpoint load still waiting.
    if (source === 'loaded' || source === 'hub') this.queued = undefined;
    const abs = path.resolve(this.hooks.root() ?? '.', dir);
    if (isTaskModelFolder(abs)) {
      throw new MlmError(
        MlmErrorCodes.CheckpointNotFound,
        `${abs} is a fine-tuned task model, not a masked language model: load it with MLM: Load Task Model (mlm/loadTaskModel)`,
      );
    }
    // A failed load arrives as an MlmError with CheckpointNotFound (server/worker/messages.ts inferenceFailure).
    const m = await this.inference.load(abs, label);
    this.hooks.status({ model: { dir: m.dir, runId: m.runId, step: m.step, arch: m.arch, source } });
    this.hooks.log('info', `fill-mask model: ${m.dir} (step ${m.step ?? '?'})`);
    return m;
  }

  /** Forgets the cached answers of a document (it changed or closed). */
  forgetDocument(uri: string): void {
    this.cache.forgetDocument(uri);
  }

  get cacheStats(): FillCacheStats {
    return this.cache.stats;
  }

  /**
   * Fill-mask through the cache: the same input (same document version and window for a hover) with the same model
   * generation is answered without the worker, and a request identical to one still running waits for that one.
   * `doc` scopes a hover's entry to its document version; `doc.isCurrent()` false when the answer arrives (the
   * document changed meanwhile) → the answer is returned but not cached. `label` names the request in the trace.
   */
  async fill(
    params: { text: string; topK: number; targets?: string[]; beam?: number; maskToken?: string },
    isCancelled: () => boolean,
    doc?: FillScope,
    label = doc ? 'hover' : 'mlm/fillMask',
  ): Promise<FillMaskRequest.Result> {
    if (!this.inference.model) {
      throw new MlmError(
        MlmErrorCodes.NoModel,
        'no model is loaded: run MLM: Train MLM or MLM: Load Checkpoint first',
      );
    }
    this.lastFillAt = Date.now();
    const key: FillCacheKey = {
      doc: doc && { uri: doc.uri, version: doc.version, start: doc.start },
      text: params.text,
      topK: params.topK,
      targets: params.targets,
      beam: params.beam,
      maskToken: params.maskToken ?? this.hooks.maskToken(),
    };
    const what = doc ? `${label} ${doc.uri} v${doc.version} @${doc.start}` : label;
    const hit = this.cache.get(key, this.inference.generation);
    if (hit) {
      this.hooks.trace?.(`fill-mask cache hit: ${what}`);
      return hit;
    }
    const k = fillCacheKey(key);
    let run = this.running.get(k);
    const joined = run !== undefined;
    if (run) run.callers.push(isCancelled);
    else {
      const callers = [isCancelled];
      // Cancelled only when every caller waiting on it has cancelled.
      const promise = this.compute(key, () => callers.every((c) => c()));
      run = { promise, callers };
      this.running.set(k, run);
      const done = (): void => void this.running.delete(k);
      promise.then(done, done);
    }
    const { result, generation } = await run.promise;
    this.hooks.trace?.(`fill-mask computed: ${what}${joined ? ' (joined a running request)' : ''}`);
    if (generation === this.inference.generation && (doc?.isCurrent() ?? true)) {
      this.cache.set(key, generation, result);
    }
    return result;
  }

  private async compute(
    key: FillCacheKey,
    isCancelled: () => boolean,
  ): Promise<{ result: FillMaskRequest.Result; generation: number }> {
    // Failures arrive as MlmErrors (server/worker/messages.ts inferenceFailure): NoModel, InvalidParams.
    const r = await this.inference.fill(
      { text: key.text, topK: key.topK, targets: key.targets, beam: key.beam, maskToken: key.maskToken },
      isCancelled,
    );
    return {
      result: {
        masks: r.masks,
        ...(r.joint ? { joint: r.joint } : {}),
        ...(r.jointNote ? { jointNote: r.jointNote } : {}),
        model: { dir: r.model.dir, runId: r.model.runId, step: r.model.step },
        elapsedMs: r.elapsedMs,
      },
      generation: r.generation,
    };
  }
}
