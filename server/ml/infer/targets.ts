/**
 * Fill-mask `targets`: score only these words at a mask. A word of the vocabulary is scored by its softmax
 * probability; a word of several word pieces by the chain rule — the mask is widened to one mask per piece and each
 * piece predicted with the pieces before it filled in (one extra row per piece, all targets in a few batched passes),
 * the word's score being the product. No tensors: the Scorer reads logits back.
 */
import type { FillMaskResult, Tokenizer } from '../types';
import type { Scorer, Windows } from './fillMask';
import { logSoftmaxAt, topKSoftmax } from './topk';
import { replaceSpan } from './sequence';

/** Rows per forward pass when scoring words of several pieces. */
const ROWS_PER_PASS = 64;

export interface ResolvedTargets {
  /** Vocabulary ids of the targets that are one token. */
  single: Int32Array;
  /** The targets of several word pieces, with their piece ids. */
  multi: Array<{ word: string; pieces: number[] }>;
}

/** Maps target words onto the vocabulary (exact, else lower-cased for an uncased tokenizer, else word pieces). */
export function resolveTargets(tokenizer: Tokenizer, targets: string[]): ResolvedTargets {
  const single = new Set<number>();
  const multi = new Map<string, { word: string; pieces: number[] }>();
  for (const word of targets) {
    const direct =
      tokenizer.tokenToId(word) ??
      (tokenizer.lowercase ? tokenizer.tokenToId(word.toLowerCase()) : undefined);
    if (direct !== undefined) {
      single.add(direct);
      continue;
    }
    const pieces = tokenizer.encode(word, { addSpecialTokens: false }).ids;
    if (pieces.length === 0) throw new Error(`target "${word}" produces no tokens: give a non-empty word`);
    if (pieces.length === 1) single.add(pieces[0]);
    else if (!multi.has(pieces.join(','))) multi.set(pieces.join(','), { word, pieces });
  }
  return { single: Int32Array.from(single), multi: [...multi.values()] };
}

/**
 * The targets' candidates at mask m of the windows (`logits`: that mask's row), best first, at most topK.
 * `span` is the mask's [start, end) in `text` (for each candidate's sequence).
 */
export async function scoreTargets(
  scorer: Scorer,
  windows: Windows,
  m: number,
  logits: Float32Array,
  targets: ResolvedTargets,
  topK: number,
  text: string,
  span: [number, number],
  tokenizer: Tokenizer,
): Promise<FillMaskResult[]> {
  const scored: FillMaskResult[] = topKSoftmax(logits, targets.single.length, targets.single).map(
    ({ id, score }) => {
      const token = tokenizer.displayToken(id);
      return { token, id, score, sequence: replaceSpan(text, span, token) };
    },
  );
  if (targets.multi.length) {
    const b = Math.floor(windows.positions[m] / windows.seqLen);
    const row = windows.ids.subarray(b * windows.seqLen, (b + 1) * windows.seqLen);
    const pos = windows.positions[m] - b * windows.seqLen;
    const logProbs = await chainLogProbs(scorer, row, pos, targets.multi, tokenizer);
    targets.multi.forEach((t, i) => {
      scored.push({
        token: t.word,
        id: t.pieces[0],
        score: Math.exp(logProbs[i]),
        sequence: replaceSpan(text, span, t.word),
        pieces: t.pieces.map((p) => tokenizer.displayToken(p)),
      });
    });
  }
  return scored.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, topK);
}

/** log P(word) at `pos` of `row` for each word of several pieces: Σ_i log P(piece_i | pieces before it). */
async function chainLogProbs(
  scorer: Scorer,
  row: Int32Array,
  pos: number,
  words: Array<{ pieces: number[] }>,
  tokenizer: Tokenizer,
): Promise<number[]> {
  const { mask, pad } = tokenizer.special;
  const rows: Array<{ word: number; ids: Int32Array; at: number; piece: number }> = [];
  words.forEach((w, word) => {
    const { ids, at } = widen(row, pos, w.pieces.length, mask, scorer.maxPositions);
    for (let i = 0; i < w.pieces.length; i++) {
      const r = ids.slice();
      for (let j = 0; j < i; j++) r[at + j] = w.pieces[j];
      rows.push({ word, ids: r, at: at + i, piece: w.pieces[i] });
    }
  });
  const sums = words.map(() => 0);
  for (let s = 0; s < rows.length; s += ROWS_PER_PASS) {
    const part = rows.slice(s, s + ROWS_PER_PASS);
    const seqLen = Math.max(...part.map((r) => r.ids.length));
    const ids = new Int32Array(part.length * seqLen).fill(pad);
    const attention = new Int32Array(part.length * seqLen);
    part.forEach((r, k) => {
      ids.set(r.ids, k * seqLen);
      attention.fill(1, k * seqLen, k * seqLen + r.ids.length);
    });
    const values = await scorer.logits(
      ids,
      attention,
      part.length,
      seqLen,
      Int32Array.from(part, (r, k) => k * seqLen + r.at),
    );
    const vocab = values.length / part.length;
    part.forEach(
      (r, k) => (sums[r.word] += logSoftmaxAt(values.subarray(k * vocab, (k + 1) * vocab), r.piece)),
    );
  }
  return sums;
}

/**
 * The row with the mask at `pos` widened to n masks; when that exceeds the model's positions, tokens are dropped
 * from the far end of the row (before [SEP], or after [CLS] when the mask sits in the second half).
 */
export function widen(
  row: Int32Array,
  pos: number,
  n: number,
  mask: number,
  maxPositions: number,
): { ids: Int32Array; at: number } {
  const wide = [...row.subarray(0, pos), ...new Array<number>(n).fill(mask), ...row.subarray(pos + 1)];
  const excess = wide.length - maxPositions;
  if (excess <= 0) return { ids: Int32Array.from(wide), at: pos };
  if (pos < row.length / 2) {
    wide.splice(wide.length - 1 - excess, excess);
    return { ids: Int32Array.from(wide), at: pos };
  }
  wide.splice(1, excess);
  return { ids: Int32Array.from(wide), at: pos - excess };
}
