/** What a finished (or failed) training run reports back to its caller. */
import type { StopReason } from '../../../protocol/shared/runState';
import type { MetricRecord } from '../types';

/** How a run's compute failed (train/memory.ts computeFailureOf). */
export type ComputeFailure = 'out-of-memory' | 'wasm-abort';

export type { StopReason };

/** Realised masking rates over every training target so far (fractions). */
export interface MaskingRates {
  /** Targets / maskable tokens (≈ data.masking.probability). */
  targetRate: number;
  /** Of the targets: replaced by [MASK], by a random token, kept unchanged. */
  maskRate: number;
  randomRate: number;
  keepRate: number;
  /** Number of prediction targets these rates are measured on. */
  targets: number;
}

export interface RunSummary {
  runId: string;
  runDir: string;
  /** Optimizer steps done (including those before a resume). */
  steps: number;
  /** Epochs done, fractional (e.g. 2.4). */
  epochs: number;
  stoppedBy: StopReason;
  bestEval?: MetricRecord;
  lastTrain?: MetricRecord;
  /** Set when stoppedBy is 'error': what went wrong and what to do. */
  error?: string;
  /** Set when the error was the compute backend's: out of memory, or its WebAssembly module aborted. */
  failure?: ComputeFailure;
  maskingRates: MaskingRates;
  /** Held-out accuracy of always predicting the most frequent training token (the unigram baseline). */
  baselineAccuracy?: number;
  /** Newest complete checkpoint directory, when one was saved. */
  lastCheckpoint?: string;
  /** Checkpoint directory of the best eval, when kept. */
  bestCheckpoint?: string;
}
