/**
 * Splits a micro-batch into contiguous row shares, one per replica, and weights each share so that the
 * replicas' weighted gradients add up to the gradient of the full micro-batch's mean loss.
 */
import type { MlmBatch } from '../../types';

/** One replica's part of one micro-batch: its rows and the weight of its mean loss in the step's loss. */
export interface SharePart {
  batch: MlmBatch;
  /** targets of this share / (targets of the micro-batch × micro-batches per step). */
  weight: number;
}

/** Rows [from, to) of a batch, with its targets re-based to the share (flat index b * seqLen + t). */
export function sliceRows(batch: MlmBatch, from: number, to: number): MlmBatch {
  const { seqLen } = batch;
  const lo = from * seqLen;
  const hi = to * seqLen;
  const keep: number[] = [];
  for (let i = 0; i < batch.maskedPositions.length; i++) {
    const p = batch.maskedPositions[i];
    if (p >= lo && p < hi) keep.push(i);
  }
  return {
    batchSize: to - from,
    seqLen,
    inputIds: batch.inputIds.slice(lo, hi),
    attentionMask: batch.attentionMask.slice(lo, hi),
    maskedPositions: Int32Array.from(keep, (i) => batch.maskedPositions[i] - lo),
    labels: Int32Array.from(keep, (i) => batch.labels[i]),
  };
}

/**
 * The parts of every replica for one optimizer step: replica r gets rows [r·b/n, (r+1)·b/n) of each
 * micro-batch. Shares without targets are left out (they add nothing to the loss). Every micro-batch
 * must have targets (the caller skips the step otherwise, as the single-thread step's NaN loss does).
 */
export function splitStep(batches: readonly MlmBatch[], replicas: number): SharePart[][] {
  const parts: SharePart[][] = Array.from({ length: replicas }, () => []);
  const k = batches.length;
  for (const batch of batches) {
    const total = batch.labels.length;
    for (let r = 0; r < replicas; r++) {
      const from = Math.floor((r * batch.batchSize) / replicas);
      const to = Math.floor(((r + 1) * batch.batchSize) / replicas);
      if (to <= from) continue;
      const share = sliceRows(batch, from, to);
      if (share.labels.length === 0) continue;
      parts[r].push({ batch: share, weight: share.labels.length / (total * k) });
    }
  }
  return parts;
}

/**
 * Each part as `chunks` passes of fewer rows (gradient accumulation within a replica: train/memory.ts), the
 * weights scaled so that the passes add up to the part.
 */
export function chunkParts(parts: readonly SharePart[], chunks: number): SharePart[] {
  if (chunks <= 1) return [...parts];
  return parts.flatMap((p) =>
    splitStep([p.batch], chunks)
      .flat()
      .map((c) => ({ batch: c.batch, weight: c.weight * p.weight })),
  );
}
