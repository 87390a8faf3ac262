/**
 * A deterministic 8192-piece WordPiece vocabulary of synthetic words for W2 (no corpus needed): the five
 * special tokens, then pronounceable words "bako", "deli", … The product's own WordPieceTokenizer runs it.
 */
import { SPECIAL_TOKENS } from '../../server/ml/tokenizer/config';
import { WordPieceTokenizer } from '../../server/ml/tokenizer/wordpiece';

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

/** The i-th synthetic word: syllables from the base-70 digits of i + 70 (so every word has ≥ 2 syllables). */
export function syntheticWord(i: number): string {
  const syllables: string[] = [];
  const base = CONSONANTS.length * VOWELS.length;
  for (let n = i + base; n > 0; n = Math.floor(n / base)) {
    const s = n % base;
    syllables.push(CONSONANTS[Math.floor(s / VOWELS.length)] + VOWELS[s % VOWELS.length]);
  }
  return syllables.join('');
}

export function benchTokenizer(vocabSize: number): WordPieceTokenizer {
  const vocab: string[] = [...SPECIAL_TOKENS];
  for (let i = 0; vocab.length < vocabSize; i++) vocab.push(syntheticWord(i));
  return new WordPieceTokenizer({
    vocab,
    unkToken: '[UNK]',
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100,
    normalizer: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true },
    addedTokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, special: true })),
  });
}

/** A text of `words` synthetic words with [MASK] as word `maskWord`: [CLS] + words + [SEP] tokens. */
export function benchText(words: number, maskWord: number, seed: number): string {
  const out: string[] = [];
  for (let w = 0; w < words; w++)
    out.push(w === maskWord ? '[MASK]' : syntheticWord((seed * 7919 + w * 104729) % 8000));
  return out.join(' ');
}
