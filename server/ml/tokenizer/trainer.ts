/**
 * WordPiece vocabulary training, as Hugging Face's WordPieceTrainer does it: count the normalised, pre-tokenized
 * words; start from the special tokens and the full character alphabet (each letter both word-initial "a" and as a
 * continuation "##a"); then repeatedly merge the most frequent adjacent pair of pieces into a new piece
 * ("t" + "##h" → "th", "##i" + "##n" → "##in") until the vocabulary is full or no pair is frequent enough.
 * Pair counts are updated incrementally (only words holding the merged pair are touched) and the best pair comes
 * from a max-heap with lazy deletion.
 */
import { SPECIAL_TOKENS, type WordPieceConfig } from './config';
import { PairHeap } from './heap';
import { WordBuffer, scanWords, type NormalizerOptions } from './normalizer';
import { isCjk, isPunctuation } from './charClass';
import { WordPieceTokenizer } from './wordpiece';

export interface TrainWordPieceOptions {
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /** Default true (uncased). */
  lowercase?: boolean;
  /** Default: follows lowercase (like Hugging Face: cased tokenizers keep accents). */
  stripAccents?: boolean;
  /** Default [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0–4); must contain those five. */
  specialTokens?: string[];
  /** Keep only the N most frequent characters (default: the full alphabet). */
  limitAlphabet?: number;
  /** Words longer than this become [UNK] (default 100) and are not counted. */
  maxInputCharsPerWord?: number;
  /** Stops training (the promise rejects with an AbortError) at the next check: every 1 MB of text, after counting, every 500 merges. */
  signal?: AbortSignal;
}

export interface TrainProgress {
  message: string;
  fraction?: number;
}

const PREFIX = '##';
const KEY = 1 << 20; // pair key = a * KEY + b; ids stay below 2^20

export async function trainWordPiece(
  texts: AsyncIterable<string> | Iterable<string>,
  opts: TrainWordPieceOptions,
  onProgress?: (p: TrainProgress) => void,
): Promise<WordPieceTokenizer> {
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 1 || opts.vocabSize >= KEY) {
    throw new RangeError(`vocabSize must be an integer in [1, ${KEY - 1}], got ${opts.vocabSize}`);
  }
  const minFrequency = opts.minFrequency ?? 2;
  const lowercase = opts.lowercase ?? true;
  const specials = opts.specialTokens ?? [...SPECIAL_TOKENS];
  const missing = SPECIAL_TOKENS.filter((t) => !specials.includes(t));
  if (missing.length) throw new Error(`specialTokens must include ${missing.join(' ')}`);
  const maxChars = opts.maxInputCharsPerWord ?? 100;
  const norm: NormalizerOptions = {
    cleanText: true,
    handleChineseChars: true,
    stripAccents: opts.stripAccents ?? lowercase,
    lowercase,
  };

  // 1. Word counts.
  opts.signal?.throwIfAborted();
  const counts = await countWords(texts, norm, maxChars, onProgress, opts.signal);
  opts.signal?.throwIfAborted();

  // 2. Alphabet and the initial vocabulary.
  const words = [...counts.keys()];
  const wordCount = Float64Array.from(counts.values());
  counts.clear();
  const charFreq = new Map<number, number>();
  words.forEach((w, i) => {
    for (const ch of w) {
      const cp = ch.codePointAt(0)!;
      charFreq.set(cp, (charFreq.get(cp) ?? 0) + wordCount[i]);
    }
  });
  let alphabet = [...charFreq.keys()];
  if (opts.limitAlphabet !== undefined && alphabet.length > opts.limitAlphabet) {
    alphabet.sort((a, b) => charFreq.get(b)! - charFreq.get(a)! || a - b);
    alphabet = alphabet.slice(0, opts.limitAlphabet);
  }
  alphabet.sort((a, b) => a - b);
  const vocab: string[] = [...specials];
  const ids = new Map<string, number>(vocab.map((t, i) => [t, i]));
  const add = (piece: string): number => {
    let id = ids.get(piece);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(piece);
      ids.set(piece, id);
    }
    return id;
  };
  for (const cp of alphabet) add(String.fromCodePoint(cp));
  // Punctuation and CJK ideographs are always words of one character: they never continue a word.
  for (const cp of alphabet) if (!isPunctuation(cp) && !isCjk(cp)) add(PREFIX + String.fromCodePoint(cp));

  // 3. Words as piece ids; pair counts and where each pair occurs.
  const syms: Int32Array[] = [];
  const lens = new Int32Array(words.length);
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  words.forEach((w, wi) => {
    const s: number[] = [];
    for (const ch of w) {
      const id = ids.get(s.length ? PREFIX + ch : ch);
      if (id !== undefined) s.push(id); // characters outside a limited alphabet are dropped
    }
    syms.push(Int32Array.from(s));
    lens[wi] = s.length;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * KEY + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + wordCount[wi]);
      let list = pairWords.get(key);
      if (!list) pairWords.set(key, (list = []));
      list.push(wi);
    }
  });
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  // 4. Merges.
  const initial = vocab.length;
  const target = Math.max(opts.vocabSize, initial);
  const stamp = new Int32Array(words.length).fill(-1);
  const delta = new Map<number, number>();
  const top: [number, number] = [0, 0];
  let merges = 0;
  while (vocab.length < target && heap.pop(top)) {
    const [count, key] = top;
    if (pairCount.get(key) !== count) continue; // stale heap entry
    if (count < minFrequency) break;
    const a = Math.floor(key / KEY);
    const b = key - a * KEY;
    const merged = add(vocab[a] + vocab[b].slice(PREFIX.length));
    for (const wi of pairWords.get(key) ?? []) {
      if (stamp[wi] === merges) continue;
      stamp[wi] = merges;
      const s = syms[wi];
      const c = wordCount[wi];
      let n = lens[wi];
      let has = false;
      for (let i = 0; i + 1 < n; i++) if (s[i] === a && s[i + 1] === b) has = true;
      if (!has) continue;
      for (let i = 0; i + 1 < n; i++)
        delta.set(s[i] * KEY + s[i + 1], (delta.get(s[i] * KEY + s[i + 1]) ?? 0) - c);
      let out = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && s[i] === a && s[i + 1] === b) {
          s[out++] = merged;
          i++;
        } else {
          s[out++] = s[i];
        }
      }
      lens[wi] = n = out;
      for (let i = 0; i + 1 < n; i++) {
        const k = s[i] * KEY + s[i + 1];
        delta.set(k, (delta.get(k) ?? 0) + c);
        if (s[i] === merged || s[i + 1] === merged) {
          let list = pairWords.get(k);
          if (!list) pairWords.set(k, (list = []));
          if (list[list.length - 1] !== wi) list.push(wi);
        }
      }
    }
    pairWords.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const c = (pairCount.get(k) ?? 0) + d;
      if (c > 0) {
        pairCount.set(k, c);
        heap.push(c, k);
      } else {
        pairCount.delete(k);
      }
    }
    delta.clear();
    merges++;
    if (merges % 500 === 0) {
      await yieldToEventLoop();
      opts.signal?.throwIfAborted();
    }
    if (onProgress && merges % 200 === 0) {
      onProgress({
        message: `merging pieces: vocabulary ${vocab.length} / ${target}`,
        fraction: (vocab.length - initial) / Math.max(1, target - initial),
      });
    }
  }
  onProgress?.({ message: `vocabulary of ${vocab.length} pieces`, fraction: 1 });

  const config: WordPieceConfig = {
    vocab,
    unkToken: '[UNK]',
    continuingSubwordPrefix: PREFIX,
    maxInputCharsPerWord: maxChars,
    normalizer: {
      cleanText: true,
      handleChineseChars: true,
      stripAccents: opts.stripAccents ?? null,
      lowercase,
    },
    addedTokens: specials.map((t, id) => ({ id, content: t, special: true })),
  };
  return new WordPieceTokenizer(config);
}

async function countWords(
  texts: AsyncIterable<string> | Iterable<string>,
  norm: NormalizerOptions,
  maxChars: number,
  onProgress?: (p: TrainProgress) => void,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const buf = new WordBuffer(Math.max(256, maxChars + 1));
  const onWord = (b: WordBuffer): void => {
    if (b.length > maxChars) return;
    const w = b.text();
    counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  let chars = 0;
  let reported = 0;
  for await (const text of texts) {
    scanWords(text, 0, text.length, norm, buf, onWord);
    chars += text.length;
    if (chars - reported >= 1 << 20) {
      reported = chars;
      await yieldToEventLoop();
      signal?.throwIfAborted();
      onProgress?.({
        message: `counting words: ${(chars / 1e6).toFixed(1)} M characters, ${counts.size} distinct`,
      });
    }
  }
  return counts;
}

/** Lets timers and I/O run (e.g. a language server's hovers) during long synchronous stretches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
