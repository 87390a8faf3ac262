/**
 * Dynamic masking (BERT): each maskable token becomes a prediction target with `probability`; a target
 * is replaced by [MASK] with `maskFraction`, by a random non-special token with `randomFraction`, and
 * kept otherwise. With `wholeWord`, all pieces of a chosen word become targets together. Special tokens
 * ([CLS] [SEP] [PAD] [UNK] [MASK]) and padding are never targets.
 */
import type { MlmBatch, SpecialTokenIds } from '../types';
import type { Example } from './examples';
import type { Rng } from './rng';

export interface MaskingOptions {
  probability: number;
  maskFraction: number;
  randomFraction: number;
  wholeWord: boolean;
}

export interface VocabInfo {
  vocabSize: number;
  special: SpecialTokenIds;
}

/** Counts behind the realised masking rates. */
export interface MaskCounts {
  /** Tokens that could have been targets (non-special, non-padding). */
  candidates: number;
  targets: number;
  masked: number;
  random: number;
  kept: number;
}

export const emptyMaskCounts = (): MaskCounts => ({
  candidates: 0,
  targets: 0,
  masked: 0,
  random: 0,
  kept: 0,
});

export function addMaskCounts(a: MaskCounts, b: MaskCounts): MaskCounts {
  return {
    candidates: a.candidates + b.candidates,
    targets: a.targets + b.targets,
    masked: a.masked + b.masked,
    random: a.random + b.random,
    kept: a.kept + b.kept,
  };
}

export function maskingRates(c: MaskCounts): {
  targetRate: number;
  maskRate: number;
  randomRate: number;
  keepRate: number;
  targets: number;
} {
  const t = c.targets || 1;
  return {
    targetRate: c.candidates ? c.targets / c.candidates : 0,
    maskRate: c.masked / t,
    randomRate: c.random / t,
    keepRate: c.kept / t,
    targets: c.targets,
  };
}

/**
 * Masks `examples` (all of the same seqLen) into one batch. Draw order is fixed (position by position,
 * one draw to select, one for the 80/10/10 choice, further draws for a random token), so a seeded rng
 * gives exactly the same batch every time.
 */
export function maskBatch(
  examples: readonly Example[],
  rng: Rng,
  opts: MaskingOptions,
  vocab: VocabInfo,
): { batch: MlmBatch; counts: MaskCounts } {
  if (!examples.length) throw new Error('maskBatch needs at least one example');
  const seqLen = examples[0].ids.length;
  const batchSize = examples.length;
  const { special } = vocab;
  const specials = new Set([special.pad, special.unk, special.cls, special.sep, special.mask]);
  const inputIds = new Int32Array(batchSize * seqLen);
  const attentionMask = new Int32Array(batchSize * seqLen);
  const positions: number[] = [];
  const labels: number[] = [];
  const counts = emptyMaskCounts();

  const target = (flat: number, original: number) => {
    positions.push(flat);
    labels.push(original);
    counts.targets++;
    const r = rng.next();
    if (r < opts.maskFraction) {
      inputIds[flat] = special.mask;
      counts.masked++;
    } else if (r < opts.maskFraction + opts.randomFraction) {
      inputIds[flat] = randomToken(rng, vocab.vocabSize, specials);
      counts.random++;
    } else {
      counts.kept++;
    }
  };

  examples.forEach((ex, b) => {
    if (ex.ids.length !== seqLen) {
      throw new Error(`all examples of a batch need the same length: ${ex.ids.length} != ${seqLen}`);
    }
    const base = b * seqLen;
    for (let t = 0; t < seqLen; t++) {
      inputIds[base + t] = ex.ids[t];
      attentionMask[base + t] = t < ex.length ? 1 : 0;
    }
    const maskable = (t: number) => t < ex.length && !specials.has(ex.ids[t]);
    let t = 0;
    while (t < ex.length) {
      if (!maskable(t)) {
        t++;
        continue;
      }
      // A unit is one token, or with wholeWord the token plus its continuation pieces.
      let end = t + 1;
      if (opts.wholeWord) while (end < ex.length && maskable(end) && !ex.wordStart[end]) end++;
      counts.candidates += end - t;
      if (rng.next() < opts.probability) for (let u = t; u < end; u++) target(base + u, ex.ids[u]);
      t = end;
    }
  });

  // A batch without any target would give an undefined loss: force one target when possible.
  if (!positions.length && counts.candidates) {
    const flat = pickCandidate(examples, seqLen, specials, rng);
    target(flat, examples[Math.floor(flat / seqLen)].ids[flat % seqLen]);
  }
  // Sort targets by position (whole-word order is already sorted; forced target may not be).
  const order = positions.map((_, i) => i).sort((a, b) => positions[a] - positions[b]);
  return {
    batch: {
      batchSize,
      seqLen,
      inputIds,
      attentionMask,
      maskedPositions: Int32Array.from(order, (i) => positions[i]),
      labels: Int32Array.from(order, (i) => labels[i]),
    },
    counts,
  };
}

function randomToken(rng: Rng, vocabSize: number, specials: Set<number>): number {
  for (;;) {
    const id = Math.floor(rng.next() * vocabSize);
    if (!specials.has(id)) return id;
  }
}

function pickCandidate(
  examples: readonly Example[],
  seqLen: number,
  specials: Set<number>,
  rng: Rng,
): number {
  const all: number[] = [];
  examples.forEach((ex, b) => {
    for (let t = 0; t < ex.length; t++) if (!specials.has(ex.ids[t])) all.push(b * seqLen + t);
  });
  return all[Math.floor(rng.next() * all.length)];
}
