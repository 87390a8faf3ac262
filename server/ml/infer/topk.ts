/** Softmax + top-k over one row of logits, in JavaScript (one vocabulary row is cheap; no extra kernels). */

export interface Scored {
  id: number;
  score: number;
}

/**
 * logits: [vocab] → the k most probable ids with their softmax probability over the whole vocabulary,
 * highest first (ties: lower id first). With candidates, only those ids compete (probabilities unchanged).
 */
export function topKSoftmax(logits: Float32Array, k: number, candidates?: Int32Array): Scored[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const ids = candidates ?? null;
  const n = ids ? ids.length : logits.length;
  // Keep the k best in a small sorted array (k is tiny next to the vocabulary).
  const best: Scored[] = [];
  for (let j = 0; j < n; j++) {
    const id = ids ? ids[j] : j;
    if (id < 0 || id >= logits.length) continue;
    const l = logits[id];
    if (best.length === k && l <= logits[best[k - 1].id]) continue;
    let pos = best.length;
    while (
      pos > 0 &&
      (logits[best[pos - 1].id] < l || (logits[best[pos - 1].id] === l && best[pos - 1].id > id))
    )
      pos--;
    best.splice(pos, 0, { id, score: 0 });
    if (best.length > k) best.pop();
  }
  for (const b of best) b.score = Math.exp(logits[b.id] - max) / sum;
  return best;
}

/** log softmax(logits)[id] over the whole row (logsumexp with the maximum subtracted). */
export function logSoftmaxAt(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[id] - max - Math.log(sum);
}
