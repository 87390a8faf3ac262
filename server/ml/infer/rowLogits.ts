/**
 * Batched scoring of token rows: the logits at one position of each row, asked a few rows per forward pass (joint
 * fill-mask's pseudo-log-likelihoods, surprise's word scores).
 */
import type { Scorer } from './fillMask';

/**
 * The logits [vocab] at one position of each row (rows of seqLen token ids, every token attended), asked perPass
 * rows at a time; `each(logits, i)` gets row i's, in order.
 */
export async function logitsAtRows(
  scorer: Scorer,
  rows: ReadonlyArray<{ ids: Int32Array; pos: number }>,
  seqLen: number,
  perPass: number,
  each: (logits: Float32Array, i: number) => void,
): Promise<void> {
  for (let s = 0; s < rows.length; s += perPass) {
    const part = rows.slice(s, s + perPass);
    const batch = new Int32Array(part.length * seqLen);
    part.forEach((row, r) => batch.set(row.ids, r * seqLen));
    const values = await scorer.logits(
      batch,
      new Int32Array(batch.length).fill(1),
      part.length,
      seqLen,
      Int32Array.from(part, (row, r) => r * seqLen + row.pos),
    );
    const vocab = values.length / part.length;
    part.forEach((_, r) => each(values.subarray(r * vocab, (r + 1) * vocab), s + r));
  }
}
