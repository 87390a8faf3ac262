/**
 * The surprise lens's scorer: how likely the model finds each word of a text, by masking it. A word of n word
 * pieces is masked whole and scored left to right — P(piece_1 | all n masked) · P(piece_2 | piece_1, the rest
 * masked) · … — so a piece never gives away its own word; the rest of the text stays as written. Rows are batched;
 * a text longer than the model is windowed around each word. The top alternatives are the model's best whole
 * tokens at the word's first piece with the word masked. No tensors: the Scorer reads logits back.
 */
import type { Tokenizer } from '../types';
import type { Scorer } from './fillMask';
import { logitsAtRows } from './rowLogits';
import { logSoftmaxAt, topKSoftmax } from './topk';
import { continuationText } from '../../../protocol/shared/wordpiece';

export interface WordScore {
  /** [start, end) UTF-16 offsets of the word in the text. */
  start: number;
  end: number;
  word: string;
  /** log P(word | the rest of the text), natural log. */
  logProb: number;
  /** The model's best whole-token replacements at that place (the word itself left out), best first. */
  alternatives: Array<{ token: string; score: number }>;
}

export interface ScoreWordsOptions {
  /** Index of the first scorable word to score (the words of a text are numbered in order; default 0). */
  fromWord?: number;
  /** Stop before the rows (one per word piece) of this call would exceed this many (default: all). */
  maxRows?: number;
  /** Alternatives per word (default 3). */
  alternatives?: number;
  /** Rows per forward pass (default 32). */
  rowsPerPass?: number;
}

export interface ScoreWordsResult {
  words: WordScore[];
  /** The next word to score when maxRows stopped the call early. */
  nextWord?: number;
  /** Scorable words in the text. */
  totalWords: number;
}

/** A word is scored when it holds a letter or digit (punctuation and symbols are left alone). */
const SCORABLE = /[\p{L}\p{N}]/u;

/** Scores the words of `text` from opts.fromWord on (see ScoreWordsOptions). */
export async function scoreWords(
  scorer: Scorer,
  tokenizer: Tokenizer,
  text: string,
  opts: ScoreWordsOptions = {},
): Promise<ScoreWordsResult> {
  const enc = tokenizer.encode(text);
  const special = new Set(Object.values(tokenizer.special));
  // The scorable words: their token indices, in order.
  const words: number[][] = [];
  let current: number[] = [];
  let currentId: number | null = null;
  const flush = (): void => {
    if (current.length) {
      const [s] = enc.offsets[current[0]];
      const [, e] = enc.offsets[current[current.length - 1]];
      if (SCORABLE.test(text.slice(s, e))) words.push(current);
    }
    current = [];
  };
  enc.wordIds.forEach((w, i) => {
    if (w === null || special.has(enc.ids[i])) {
      flush();
      currentId = null;
      return;
    }
    if (w !== currentId) flush();
    currentId = w;
    current.push(i);
  });
  flush();

  const from = opts.fromWord ?? 0;
  const maxRows = opts.maxRows ?? Infinity;
  const chosen: number[][] = [];
  let rows = 0;
  let next: number | undefined;
  for (let w = from; w < words.length; w++) {
    if (chosen.length > 0 && rows + words[w].length > maxRows) {
      next = w;
      break;
    }
    chosen.push(words[w]);
    rows += words[w].length;
  }

  const maxPositions = scorer.maxPositions;
  const fits = enc.ids.length <= maxPositions;
  const seqLen = fits ? enc.ids.length : maxPositions;
  const { cls, sep, mask } = tokenizer.special;
  /** The row a word is scored in: the whole text, or a window centred on the word; and the word's offset in it. */
  const base = (pieces: number[]): { row: Int32Array; shift: number } => {
    if (fits) return { row: Int32Array.from(enc.ids), shift: 0 };
    const hasCls = enc.ids[0] === cls ? 1 : 0;
    const hasSep = enc.ids[enc.ids.length - 1] === sep ? 1 : 0;
    const content = enc.ids.slice(hasCls, enc.ids.length - hasSep);
    const span = maxPositions - 2;
    const centre = Math.floor((pieces[0] + pieces[pieces.length - 1]) / 2) - hasCls;
    const start = Math.max(0, Math.min(centre - Math.floor(span / 2), content.length - span));
    const row = new Int32Array(maxPositions);
    row[0] = cls;
    row.set(content.slice(start, start + span), 1);
    row[maxPositions - 1] = sep;
    return { row, shift: 1 - hasCls - start };
  };
  const jobs: Array<{ word: number; piece: number; ids: Int32Array; pos: number; want: number }> = [];
  chosen.forEach((pieces, word) => {
    const { row, shift } = base(pieces);
    pieces.forEach((_, i) => {
      const ids = row.slice();
      for (let j = i; j < pieces.length; j++) ids[pieces[j] + shift] = mask;
      jobs.push({ word, piece: i, ids, pos: pieces[i] + shift, want: enc.ids[pieces[i]] });
    });
  });
  const k = opts.alternatives ?? 3;
  const logProbs = chosen.map(() => 0);
  const alternatives: WordScore['alternatives'][] = chosen.map(() => []);
  await logitsAtRows(scorer, jobs, seqLen, opts.rowsPerPass ?? 32, (row, i) => {
    const j = jobs[i];
    logProbs[j.word] += logSoftmaxAt(row, j.want);
    if (j.piece === 0 && k > 0) alternatives[j.word] = bestWholeTokens(row, k, j.want, special, tokenizer);
  });
  return {
    words: chosen.map((pieces, i) => {
      const start = enc.offsets[pieces[0]][0];
      const end = enc.offsets[pieces[pieces.length - 1]][1];
      return {
        start,
        end,
        word: text.slice(start, end),
        logProb: logProbs[i],
        alternatives: alternatives[i],
      };
    }),
    ...(next === undefined ? {} : { nextWord: next }),
    totalWords: words.length,
  };
}

/** The k most probable tokens that can stand as a word (no "##" piece, no special token, not `except`). */
function bestWholeTokens(
  logits: Float32Array,
  k: number,
  except: number,
  special: Set<number>,
  tokenizer: Tokenizer,
): Array<{ token: string; score: number }> {
  const out: Array<{ token: string; score: number }> = [];
  for (const c of topKSoftmax(logits, k * 4 + special.size + 1)) {
    if (c.id === except || special.has(c.id)) continue;
    const token = tokenizer.idToToken(c.id);
    if (continuationText(token) !== undefined || !SCORABLE.test(token)) continue;
    out.push({ token, score: c.score });
    if (out.length === k) break;
  }
  return out;
}
