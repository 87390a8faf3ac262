/**
 * Tokenizer: BERT normalisation and pre-tokenisation, WordPiece training, encoding and decoding, Hugging Face
 * tokenizer.json / BERT vocab.txt files, and the vocabulary coverage report. See docs/tokenizer.md.
 */
export { WordPieceTokenizer } from './wordpiece';
export { trainWordPiece, type TrainWordPieceOptions, type TrainProgress } from './trainer';
export { loadTokenizer, type AnyTokenizer, type LoadTokenizerOptions } from './load';
export { HfTokenizer } from './hfTokenizer';
export { coverageReport, formatCoverageReport, type CoverageReport } from './coverage';
export { splitWords, type NormalizerOptions } from './normalizer';
export { SPECIAL_TOKENS, type WordPieceConfig, type BertNormalizerConfig, type AddedToken } from './config';
export { toTokenizerJson, parseTokenizerJson, parseVocabTxt, isBertWordPieceJson } from './formats';
