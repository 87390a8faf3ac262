/**
 * The order in which training examples are visited and masked. Everything is derived from the seed and
 * the position (epoch, index), so a checkpoint only needs to store the position to resume exactly:
 * epoch e visits the examples in a permutation seeded by (seed, e), and the batch starting at index i
 * is masked with an rng seeded by (seed, e, i) — a fresh masking each epoch (dynamic masking).
 */
import type { MlmBatch } from '../types';
import type { Example } from './examples';
import { maskBatch, type MaskCounts, type MaskingOptions, type VocabInfo } from './masking';
import { mixSeed, permutation, SeededRng } from './rng';

export interface DataPosition {
  epoch: number;
  /** Examples of this epoch already consumed. */
  index: number;
}

/** Seed of the fixed evaluation masks: the same on every run and machine so numbers compare. */
export const EVAL_MASK_SEED = 20240229;

export class TrainStream {
  private order: Int32Array;
  private orderEpoch: number;
  pos: DataPosition;

  constructor(
    private readonly examples: readonly Example[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly masking: MaskingOptions,
    private readonly vocab: VocabInfo,
    start: DataPosition = { epoch: 0, index: 0 },
  ) {
    if (!examples.length) throw new Error('no training examples: the corpus produced no tokens');
    this.pos = { ...start };
    this.orderEpoch = this.pos.epoch;
    this.order = this.permutationFor(this.pos.epoch);
  }

  get size(): number {
    return this.examples.length;
  }

  /** Fractional epochs consumed so far. */
  get epochs(): number {
    return this.pos.epoch + this.pos.index / this.examples.length;
  }

  /** Batches per epoch (the last one may be smaller). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.examples.length / this.batchSize);
  }

  next(): { batch: MlmBatch; counts: MaskCounts; tokens: number } {
    if (this.pos.index >= this.examples.length) this.pos = { epoch: this.pos.epoch + 1, index: 0 };
    if (this.orderEpoch !== this.pos.epoch) {
      this.order = this.permutationFor(this.pos.epoch);
      this.orderEpoch = this.pos.epoch;
    }
    const end = Math.min(this.examples.length, this.pos.index + this.batchSize);
    const picked: Example[] = [];
    for (let i = this.pos.index; i < end; i++) picked.push(this.examples[this.order[i]]);
    const rng = new SeededRng(mixSeed(this.seed, 2, this.pos.epoch, this.pos.index));
    const out = maskBatch(picked, rng, this.masking, this.vocab);
    this.pos = { epoch: this.pos.epoch, index: end };
    return { ...out, tokens: picked.reduce((s, e) => s + e.length, 0) };
  }

  private permutationFor(epoch: number): Int32Array {
    return permutation(this.examples.length, new SeededRng(mixSeed(this.seed, 1, epoch)));
  }
}

/**
 * How held-out examples are masked, whatever the run trains with: BERT's 15 % of tokens, 80 % [MASK] / 10 % random /
 * 10 % kept (whole words when the run masks whole words), so evaluations compare across runs and recipes (the
 * per-minute recipe trains at 30 %).
 */
export function evalMasking(train: MaskingOptions): MaskingOptions {
  return { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: train.wholeWord };
}

/** The held-out examples masked once with EVAL_MASK_SEED, in order, as at most maxBatches batches. */
export function evalBatches(
  examples: readonly Example[],
  batchSize: number,
  masking: MaskingOptions,
  vocab: VocabInfo,
  maxBatches: number | null,
): MlmBatch[] {
  const out: MlmBatch[] = [];
  const rng = new SeededRng(EVAL_MASK_SEED);
  for (let i = 0; i < examples.length && (maxBatches === null || out.length < maxBatches); i += batchSize) {
    const { batch } = maskBatch(examples.slice(i, i + batchSize), rng, masking, vocab);
    if (batch.labels.length) out.push(batch);
  }
  return out;
}
