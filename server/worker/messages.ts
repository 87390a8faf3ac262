/**
 * Messages between the backend's main thread and its two kinds of worker (both run dist/mlm-worker.js;
 * `workerData.role` picks one): the trainer (one per run) and the inference worker (one per backend, serves
 * fill-mask and hovers). Plain structured-clone data only.
 */
import { MlmError, MlmErrorCodes, type MlmErrorCode } from '../../protocol/errors';
import type { MemoryEstimate } from '../../protocol/shared/memory';
import type { ResolvedRunConfig } from '../../protocol/runConfig';
import type { StopReason } from '../../protocol/shared/runState';
import type { MaskResult } from '../../protocol/inference';
import type { JointCompletion } from '../../protocol/shared/fillMask';
import type { TfMemory, WebgpuTelemetry } from '../../protocol/status';
import type { TaskModelInfo, TaskPrediction } from '../../protocol/shared/taskPrediction';
import type { FinetuneConfig } from '../ml/finetune';
import type { WordScore } from '../ml/infer/surprise';
import type { CheckpointInfo, MetricRecord, TrainPhase } from '../ml/types';

export type WorkerRole = 'train' | 'infer' | 'job';

export interface WorkerData {
  role: WorkerRole;
  /** Backend choice ('auto', 'wasm', ...) passed to initBackend. */
  backend: string;
  /** XNNPACK threads for the wasm backend. */
  threads?: number;
}

/** What the worker reports about its TF.js backend once it has initialised. */
export interface WorkerBackend {
  name: string;
  device: string;
  cores: number;
  reasons: string[];
  /** webgpu only: the adapter, for the status bar and the dashboard. */
  gpu?: Omit<WebgpuTelemetry, 'memoryBytes'>;
}

// ── trainer ─────────────────────────────────────────────────────────────────────────────────────────

export type ToTrainer =
  | {
      type: 'start';
      config: ResolvedRunConfig;
      /** Workspace root: the run goes to <cwd>/.mlm/runs/<runId>. */
      cwd: string;
      runId: string;
      /** Already created by the main thread (so mlm/train can answer with it at once). */
      runDir: string;
      corpusFiles: string[];
      resumeFrom?: string;
      /** A fine-tune run (the config's task section, resolved): runFinetune into runDir instead of runTraining. */
      finetune?: FinetuneConfig;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  /**
   * Abort: the trainer ends after the current step, saving a final checkpoint. With `deadline` (Date.now() ms: the
   * backend shuts down) it skips the final evaluation and saves only when the save can finish before it.
   */
  | { type: 'stop'; deadline?: number }
  | { type: 'memory' };

export type FromTrainer =
  | { type: 'ready'; backend: WorkerBackend }
  | { type: 'phase'; phase: TrainPhase; detail?: string }
  | { type: 'progress'; message: string; fraction?: number }
  | { type: 'metrics'; record: MetricRecord }
  | { type: 'checkpoint'; info: CheckpointInfo }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'memory'; memory: TfMemory }
  /** The run's memory estimate, before its first step (server/ml/train/memory.ts). */
  | { type: 'memoryEstimate'; estimate: MemoryEstimate }
  /** The run ended; `summary` is the trainer's RunSummary. */
  | { type: 'done'; summary: TrainerSummary }
  /** runTraining threw (or the backend failed to start): message says what to do. */
  | { type: 'failed'; message: string; stack?: string };

/** The parts of RunSummary (server/ml/train/summary.ts) the server reads, plus the object itself. */
export interface TrainerSummary {
  runId: string;
  runDir: string;
  steps: number;
  stoppedBy: StopReason;
  error?: string;
  /** The compute backend's failure (out of memory, wasm abort), when that ended the run. */
  failure?: 'out-of-memory' | 'wasm-abort';
  bestEval?: MetricRecord;
  lastCheckpoint?: string;
  bestCheckpoint?: string;
  /** A fine-tune run's task (classification, multilabel, regression, token); absent for pretraining. */
  task?: string;
  raw: unknown;
}

// ── inference ───────────────────────────────────────────────────────────────────────────────────────

export interface LoadedModel {
  dir: string;
  runId?: string;
  step?: number;
  arch?: string;
  vocabSize?: number;
}

export type InferenceRequest =
  /**
   * Load the model of a checkpoint or run directory, or of a Hugging Face model folder (a Hub snapshot), replacing
   * the current one once loaded; `label` names it (e.g. the Hub id) instead of the folder's name.
   */
  | { type: 'load'; dir: string; label?: string }
  | ({ type: 'fill' } & FillParams)
  /** Several fills in one message (hovers that queued while the worker was busy): each answered on its own. */
  | { type: 'fillBatch'; items: FillParams[] }
  /** Load a task model (a fine-tune run, checkpoint or HF task folder) beside the fill-mask model. */
  | { type: 'loadTask'; dir: string }
  /** The task model's predictions for these inputs (in order). */
  | { type: 'predict'; inputs: Array<{ text: string; textPair?: string }> }
  /** Surprise lens: score the words of `text` from `fromWord` on, at most `maxRows` masked rows (one per piece). */
  | { type: 'surprise'; text: string; fromWord: number; maxRows: number }
  | { type: 'memory' };

/** One fill-mask request; maskToken is the user's notation (mapped onto the tokenizer's own in the worker). */
export interface FillParams {
  text: string;
  topK: number;
  targets?: string[];
  maskToken: string;
  /** Whole-sentence completions for a text with several masks (0 = none; absent = the default beam). */
  beam?: number;
}

export interface FillAnswer {
  masks: MaskResult[];
  /** Several masks: the best joint completions (protocol FillMaskRequest.Result.joint). */
  joint?: JointCompletion[];
  jointNote?: string;
  model: LoadedModel;
  elapsedMs: number;
}

/** The outcome of one item of a fillBatch, in item order (one failing item does not fail the others). */
export type FillOutcome =
  { ok: true; result: FillAnswer } | { ok: false; message: string; code: MlmErrorCode };

export type InferenceResult =
  | { type: 'load'; model: LoadedModel }
  | ({ type: 'fill' } & FillAnswer)
  | { type: 'fillBatch'; results: FillOutcome[] }
  | { type: 'loadTask'; model: TaskModelInfo }
  | { type: 'predict'; predictions: TaskPrediction[]; model: TaskModelInfo }
  | { type: 'surprise'; words: WordScore[]; nextWord?: number; model: LoadedModel }
  | { type: 'memory'; memory: TfMemory };

export type ToInference = { id: number; request: InferenceRequest };

export type FromInference =
  | { type: 'ready'; backend: WorkerBackend }
  | { type: 'reply'; id: number; ok: true; result: InferenceResult }
  /** code: see inferenceFailure. */
  | { type: 'reply'; id: number; ok: false; message: string; code: MlmErrorCode };

/**
 * The MlmError an inference request fails with: the thrown MlmError itself (no model, a text without a mask), else
 * one coded by the request: a load (or loadTask) that fails found no usable checkpoint; any other request had bad
 * parameters.
 * Used on both sides of the worker boundary (the worker's failures, the host's "worker exited" / "shutting down").
 */
export function inferenceFailure(request: InferenceRequest['type'] | 'fillBatch', err: unknown): MlmError {
  if (err instanceof MlmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MlmError(
    request === 'load' || request === 'loadTask'
      ? MlmErrorCodes.CheckpointNotFound
      : MlmErrorCodes.InvalidParams,
    message,
  );
}
