/**
 * Model FLOPs per input token and model FLOPs utilisation (MFU) of a training run.
 *
 * Counted: matrix products only, 2·m·k·n FLOPs each (what the matMul peak measures). Not counted: embedding
 * lookups and their sums, LayerNorm, GELU, softmax, bias adds, GRU gate arithmetic, the loss and AdamW — a few
 * percent of a step's arithmetic. Training = forward × 3 (the backward pass computes the gradients of both
 * operands of every product). The MLM head runs only at the prediction targets, a `targetFraction` of the
 * positions (the run's data.masking.probability).
 *
 * BERT per token, forward: every layer has Q, K, V and the attention output (4 · 2h²), the scores Q·Kᵀ and the
 * context P·V (2 · 2·seqLen·h over all heads) and the FFN (2 · 2hf); the head is the transform (2h²) and the
 * decoder to the vocabulary (2hV). BiGRU per token, forward: per direction the input projection (2e·3u) and
 * the recurrent product (2u·3u); the decoder 2·(2u)·V at the targets.
 * W1 (mini, vocab 8192, seq 128, 15 % targets): 7.46 MFLOP forward, 22.4 MFLOP per training token.
 * These are the model's FLOPs (as W1 and the PyTorch reference define them), not the products one implementation
 * runs: e.g. with hidden dropout 0 our BERT runs its last layer's output dense and FFN at the targets only
 * (W1: ~13 % fewer products), and MFU still counts the full model, so it stays comparable across implementations.
 */
import { backendPeak, type PeakMeasure } from '../backend/peak';
import type { ModelConfig } from '../types';

export interface FlopsOptions {
  /** Sequence length of the batches (attention cost grows with it). */
  seqLen: number;
  /** Fraction of positions that are prediction targets (the MLM head runs only there), e.g. 0.15. */
  targetFraction: number;
}

export interface FlopsBreakdown {
  /** Per input token, forward: encoder (BERT layers / both GRU directions). */
  encoder: number;
  /** Per input token, forward: the MLM head at targetFraction of the positions. */
  head: number;
  /** encoder + head. */
  forward: number;
  /** forward × 3: one training step's FLOPs per input token. */
  train: number;
}

/** Matrix-product FLOPs per input token of one forward pass and of one training step. */
export function flopsPerToken(config: ModelConfig, o: FlopsOptions): FlopsBreakdown {
  if (!(o.seqLen > 0)) throw new Error(`seqLen must be > 0, got ${o.seqLen}`);
  if (!(o.targetFraction >= 0 && o.targetFraction <= 1)) {
    throw new Error(`targetFraction must be in [0, 1], got ${o.targetFraction}`);
  }
  let encoder: number;
  let headPerTarget: number;
  if (config.arch === 'bert') {
    const { hiddenSize: h, intermediateSize: f, numHiddenLayers: layers, vocabSize: v } = config;
    const perLayer = 4 * 2 * h * h + 2 * 2 * o.seqLen * h + 2 * 2 * h * f;
    encoder = layers * perLayer;
    headPerTarget = 2 * h * h + 2 * h * v;
  } else {
    const { embeddingDim: e, gruUnits: u, vocabSize: v } = config;
    encoder = 2 * (2 * e * 3 * u + 2 * u * 3 * u);
    headPerTarget = 2 * (2 * u) * v;
  }
  const head = o.targetFraction * headPerTarget;
  const forward = encoder + head;
  return { encoder, head, forward, train: 3 * forward };
}

/** Training FLOPs per input token (forward × 3). */
export function trainFlopsPerToken(config: ModelConfig, o: FlopsOptions): number {
  return flopsPerToken(config, o).train;
}

/** What a metric row carries about compute (see MetricRecord). */
export interface Utilisation {
  flopsPerToken: number;
  /** tokens/s × FLOPs per token, GFLOP/s. */
  achievedGflops: number;
  /** The peak compared against, GFLOP/s. */
  peakGflops: number;
  /** achievedGflops / peakGflops (above 1 only when the peak was measured while the machine was busier). */
  mfu: number;
}

/**
 * Achieved GFLOP/s and MFU of a training throughput. `peakGflops` is the measured matMul peak of the backend
 * as the run uses it; `replicas` (data-parallel threads, each running its own single-threaded backend)
 * multiplies it. Undefined when there is nothing to compare (no throughput or no peak).
 */
export function utilisation(
  tokensPerSec: number | undefined,
  flopsPerTokenValue: number,
  peakGflops: number | undefined,
  replicas = 1,
): Utilisation | undefined {
  if (tokensPerSec === undefined || !Number.isFinite(tokensPerSec) || tokensPerSec < 0) return undefined;
  if (peakGflops === undefined || !(peakGflops > 0) || !(flopsPerTokenValue > 0)) return undefined;
  const peak = peakGflops * Math.max(1, replicas);
  const achievedGflops = (tokensPerSec * flopsPerTokenValue) / 1e9;
  return { flopsPerToken: flopsPerTokenValue, achievedGflops, peakGflops: peak, mfu: achievedGflops / peak };
}

/** A run's yardstick: its model's training FLOPs per token and the backend's measured matMul peak (per thread). */
export interface RunCompute {
  flopsPerToken: number;
  /** Undefined when the peak could not be measured (MFU is then not reported). */
  peakGflops?: number;
}

/**
 * Computes the FLOPs per token of a run's model and measures (once per process, backend and thread count) the
 * backend's matMul peak on this thread; logs both. Call after the backend started, before replicas start.
 */
export async function runCompute(
  config: ModelConfig,
  run: FlopsOptions,
  onLog?: (level: 'info' | 'warn', message: string) => void,
): Promise<RunCompute> {
  const perToken = trainFlopsPerToken(config, run);
  let peak: PeakMeasure | undefined;
  try {
    peak = await backendPeak();
  } catch (err) {
    onLog?.('warn', `matMul peak not measured (${(err as Error).message}): MFU is not reported`);
  }
  if (peak) {
    onLog?.(
      'info',
      `compute: ${(perToken / 1e6).toFixed(2)} MFLOP per training token; matMul peak ${peak.gflops.toFixed(1)} GFLOP/s ` +
        `(${peak.backend ?? '?'}, ${peak.threads ?? 1} thread${peak.threads === 1 ? '' : 's'}; × replicas when data-parallel)`,
    );
  }
  return { flopsPerToken: perToken, peakGflops: peak?.gflops };
}
