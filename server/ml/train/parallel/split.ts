/**
 * Splits a micro-batch into contiguous row shares, one per replica, and weights each share so that the
 * replicas' weighted gradients add up to the gradient of the full micro-batch's mean loss.
 */
import type { MlmBatch } from '../../types';

/**
 * A batch that can be cut into row shares: an MLM batch, or a task batch with its per-token segment ids and its
 * per-row float targets (finetune/model.ts TaskBatch: multilabel, regression).
 */
export interface RowBatch extends MlmBatch {
  /** [batchSize * seqLen], as inputIds. */
  tokenTypeIds?: Int32Array;
  /** [batchSize * width]: one row of targets per batch row. */
  targets?: Float32Array;
}

/** One replica's part of one micro-batch: its rows and the weight of its mean loss in the step's loss. */
export interface SharePart<B extends RowBatch = MlmBatch> {
  batch: B;
  /** mass of this share / (mass of the micro-batch × micro-batches per step). */
  weight: number;
}

/**
 * The denominator of a batch's mean loss: its targets (MLM, unweighted classification), the sum of its class
 * weights (weighted cross-entropy), its rows (regression, multilabel: the mean over rows × labels).
 */
export type LossMass<B> = (batch: B) => number;

const targetCount: LossMass<RowBatch> = (b) => b.labels.length;

/** Rows [from, to) of a batch, with its targets re-based to the share (flat index b * seqLen + t). */
export function sliceRows<B extends RowBatch>(batch: B, from: number, to: number): B {
  const { seqLen } = batch;
  const lo = from * seqLen;
  const hi = to * seqLen;
  const keep: number[] = [];
  for (let i = 0; i < batch.maskedPositions.length; i++) {
    const p = batch.maskedPositions[i];
    if (p >= lo && p < hi) keep.push(i);
  }
  const share: B = {
    ...batch,
    batchSize: to - from,
    seqLen,
    inputIds: batch.inputIds.slice(lo, hi),
    attentionMask: batch.attentionMask.slice(lo, hi),
    maskedPositions: Int32Array.from(keep, (i) => batch.maskedPositions[i] - lo),
    labels: Int32Array.from(keep, (i) => batch.labels[i]),
  };
  if (batch.tokenTypeIds) share.tokenTypeIds = batch.tokenTypeIds.slice(lo, hi);
  if (batch.targets) {
    const width = batch.targets.length / batch.batchSize;
    share.targets = batch.targets.slice(from * width, to * width);
  }
  return share;
}

/**
 * The parts of every replica for one optimizer step: replica r gets rows [r·b/n, (r+1)·b/n) of each
 * micro-batch. Shares without loss mass are left out (they add nothing to the loss). Every micro-batch
 * must have some (the caller skips the step otherwise, as the single-thread step's NaN loss does).
 */
export function splitStep<B extends RowBatch = MlmBatch>(
  batches: readonly B[],
  replicas: number,
  mass: LossMass<B> = targetCount,
): SharePart<B>[][] {
  const parts: SharePart<B>[][] = Array.from({ length: replicas }, () => []);
  const k = batches.length;
  for (const batch of batches) {
    const total = mass(batch);
    for (let r = 0; r < replicas; r++) {
      const from = Math.floor((r * batch.batchSize) / replicas);
      const to = Math.floor(((r + 1) * batch.batchSize) / replicas);
      if (to <= from) continue;
      const share = sliceRows(batch, from, to);
      const m = mass(share);
      if (m === 0) continue;
      parts[r].push({ batch: share, weight: m / (total * k) });
    }
  }
  return parts;
}

/**
 * Each part as `chunks` passes of fewer rows (gradient accumulation within a replica: train/memory.ts), the
 * weights scaled so that the passes add up to the part.
 */
export function chunkParts<B extends RowBatch>(
  parts: readonly SharePart<B>[],
  chunks: number,
  mass: LossMass<B> = targetCount,
): SharePart<B>[] {
  if (chunks <= 1) return [...parts];
  return parts.flatMap((p) =>
    splitStep([p.batch], chunks, mass)
      .flat()
      .map((c) => ({ batch: c.batch, weight: c.weight * p.weight })),
  );
}
