/**
 * Vocabulary extension for continued pretraining: frequent domain words that a checkpoint's WordPiece vocabulary
 * splits into several pieces (or maps to [UNK]) become whole tokens. Their ids are appended after the existing
 * vocabulary (existing ids never move); each new embedding row is the mean of the rows of the pieces the word used
 * to split into, and likewise its MLM output bias (the decoder is tied to the embeddings, so the output side follows).
 */
import { splitWords, WordPieceTokenizer } from '../tokenizer';
import type { BertConfig, NamedTensor } from '../types';
import { HEAD_BIAS, WORD_EMBEDDINGS } from './hfState';

export interface WordCandidate {
  word: string;
  count: number;
  /** The pieces the current vocabulary splits the word into. */
  pieces: string[];
}

export interface VocabExtensionOptions {
  /** At most this many new words (most frequent first). */
  maxWords: number;
  /** A word must occur at least this often. Default 5. */
  minFrequency?: number;
  /** A word qualifies when it splits into at least this many pieces (or becomes [UNK]). Default 2. */
  minPieces?: number;
}

/** Frequent corpus words the tokenizer splits, most frequent first (ties alphabetical). */
export function findSplitWords(
  tokenizer: WordPieceTokenizer,
  texts: Iterable<string>,
  opts: VocabExtensionOptions,
): WordCandidate[] {
  const minFrequency = opts.minFrequency ?? 5;
  const minPieces = opts.minPieces ?? 2;
  const norm = tokenizer.normalizer;
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const w of splitWords(text, norm)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const maxChars = tokenizer.config.maxInputCharsPerWord;
  const unk = tokenizer.idToToken(tokenizer.special.unk);
  const out: WordCandidate[] = [];
  for (const [word, count] of counts) {
    // Single characters and numbers make poor vocabulary entries; over-long words are [UNK] by design.
    if (count < minFrequency || [...word].length < 2 || /^\d+$/.test(word) || word.length > maxChars)
      continue;
    if (tokenizer.tokenToId(word) !== undefined) continue;
    const pieces = tokenizer.encode(word, { addSpecialTokens: false }).tokens;
    if (pieces.length >= minPieces || pieces.includes(unk)) out.push({ word, count, pieces });
  }
  out.sort((a, b) => b.count - a.count || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
  return out.slice(0, opts.maxWords);
}

export interface ExtendedCheckpoint {
  tokenizer: WordPieceTokenizer;
  config: BertConfig;
  state: Map<string, NamedTensor>;
}

/**
 * Appends `words` to the vocabulary and grows the embedding table and the output bias. The state must hold the
 * word embeddings; the output bias is extended when present (a BertModel checkpoint has none: it is initialised).
 */
export function extendVocabulary(
  base: { tokenizer: WordPieceTokenizer; config: BertConfig; state: ReadonlyMap<string, NamedTensor> },
  words: readonly WordCandidate[],
): ExtendedCheckpoint {
  const { tokenizer, config } = base;
  const emb = base.state.get(WORD_EMBEDDINGS);
  if (!emb) throw new Error(`cannot extend the vocabulary: the checkpoint has no ${WORD_EMBEDDINGS}`);
  const h = config.hiddenSize;
  const oldTokens = tokenizer.vocabSize;
  const newTokens = oldTokens + words.length;
  const rows = Math.max(config.vocabSize, newTokens); // [rows, h]
  const vocab = [...tokenizer.config.vocab];
  if (vocab.length !== oldTokens) throw new Error('the tokenizer vocabulary has gaps; it cannot be extended');
  const table = new Float32Array(rows * h);
  table.set(emb.data.subarray(0, Math.min(emb.data.length, rows * h)));
  const oldBias = base.state.get(HEAD_BIAS);
  const bias = oldBias ? new Float32Array(rows) : undefined;
  if (bias && oldBias) bias.set(oldBias.data.subarray(0, Math.min(oldBias.data.length, rows)));

  words.forEach((w, j) => {
    if (vocab.includes(w.word)) throw new Error(`"${w.word}" is already in the vocabulary`);
    const ids = tokenizer.encode(w.word, { addSpecialTokens: false }).ids;
    if (!ids.length) throw new Error(`"${w.word}" encodes to no tokens; it cannot be added`);
    const row = oldTokens + j;
    const dst = table.subarray(row * h, (row + 1) * h);
    dst.fill(0);
    for (const id of ids) {
      const src = emb.data.subarray(id * h, (id + 1) * h);
      for (let k = 0; k < h; k++) dst[k] += src[k] / ids.length;
    }
    if (bias && oldBias) {
      bias[row] = ids.reduce((s, id) => s + oldBias.data[id], 0) / ids.length;
    }
    vocab.push(w.word);
  });

  const state = new Map(base.state);
  state.set(WORD_EMBEDDINGS, { shape: [rows, h], data: table });
  if (bias) state.set(HEAD_BIAS, { shape: [rows], data: bias });
  return {
    tokenizer: new WordPieceTokenizer({ ...tokenizer.config, vocab }),
    config: { ...config, vocabSize: rows },
    state,
  };
}
