/** The data that defines a WordPiece tokenizer (what tokenizer.json stores). */

/** BertNormalizer settings as stored in tokenizer.json (stripAccents null = follow lowercase). */
export interface BertNormalizerConfig {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean | null;
  lowercase: boolean;
}

/** A token matched on the raw text before normalisation (the special tokens). */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

export interface WordPieceConfig {
  /** id → piece; continuation pieces start with continuingSubwordPrefix. */
  vocab: readonly string[];
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  normalizer: BertNormalizerConfig;
  addedTokens: readonly AddedToken[];
}

/** The special tokens every MLM Studio tokenizer has, in the order of their ids in a trained vocabulary. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
