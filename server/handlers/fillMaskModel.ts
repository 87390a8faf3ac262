/**
 * The model hovers and mlm/fillMask use: which checkpoint is loaded in the inference worker, when to reload it
 * (coalesced, and at most every RELOAD_INTERVAL_MS for a training run's checkpoints), and fill-mask calls with
 * errors mapped to MlmErrorCodes.
 */
import path from 'node:path';
import { MlmErrorCodes, type MlmErrorCode } from '../../protocol/errors';
import type { FillMaskRequest, LoadCheckpointRequest } from '../../protocol/inference';
import type { LoadedModelInfo, ServerStatus } from '../../protocol/status';
import { InferenceError, type InferenceHost } from '../worker/inferenceHost';
import type { LoadedModel } from '../worker/messages';
import { MlmError } from './mlmError';

/** Minimum time between two reloads of the fill-mask model from a training run's checkpoints. */
export const RELOAD_INTERVAL_MS = 2000;

export interface FillMaskModelHooks {
  status(patch: Partial<ServerStatus>): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Relative paths resolve against the workspace root. */
  root(): string | null;
  maskToken(): string;
}

export class FillMaskModel {
  private queued: { dir: string; source: LoadedModelInfo['source'] } | undefined;
  private loading = false;
  private lastLoadAt = 0;

  constructor(
    private readonly inference: InferenceHost,
    private readonly hooks: FillMaskModelHooks,
  ) {}

  get current(): LoadedModel | undefined {
    return this.inference.model;
  }

  /**
   * Loads dir in the background; while a load runs only the newest further request is kept. A load occupies the
   * inference worker, so a run's checkpoints ('published') are loaded at most every RELOAD_INTERVAL_MS — hovers do
   * not queue behind back-to-back reloads — and the newest one always ends up loaded.
   */
  request(dir: string, source: LoadedModelInfo['source']): void {
    this.queued = { dir, source };
    if (!this.loading) void this.drain();
  }

  private async drain(): Promise<void> {
    this.loading = true;
    try {
      while (this.queued) {
        if (this.queued.source === 'published') {
          const wait = this.lastLoadAt + RELOAD_INTERVAL_MS - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
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

  /** Loads now (mlm/loadCheckpoint); CheckpointNotFound when the folder holds no usable checkpoint. */
  async load(dir: string, source: LoadedModelInfo['source']): Promise<LoadCheckpointRequest.Result> {
    try {
      const m = await this.inference.load(path.resolve(this.hooks.root() ?? '.', dir));
      this.hooks.status({ model: { dir: m.dir, runId: m.runId, step: m.step, arch: m.arch, source } });
      this.hooks.log('info', `fill-mask model: ${m.dir} (step ${m.step ?? '?'})`);
      return m;
    } catch (err) {
      if (err instanceof InferenceError) throw new MlmError(MlmErrorCodes.CheckpointNotFound, err.message);
      throw err;
    }
  }

  async fill(
    params: { text: string; topK: number; targets?: string[]; maskToken?: string },
    isCancelled: () => boolean,
  ): Promise<FillMaskRequest.Result> {
    if (!this.inference.model) {
      throw new MlmError(
        MlmErrorCodes.NoModel,
        'no model is loaded: run MLM: Train MLM or MLM: Load Checkpoint first',
      );
    }
    try {
      const r = await this.inference.fill(
        {
          text: params.text,
          topK: params.topK,
          targets: params.targets,
          maskToken: params.maskToken ?? this.hooks.maskToken(),
        },
        isCancelled,
      );
      return {
        masks: r.masks,
        model: { dir: r.model.dir, runId: r.model.runId, step: r.model.step },
        elapsedMs: r.elapsedMs,
      };
    } catch (err) {
      if (err instanceof InferenceError) {
        throw new MlmError(
          (err.code as MlmErrorCode | undefined) ?? MlmErrorCodes.InvalidParams,
          err.message,
        );
      }
      throw err;
    }
  }
}
