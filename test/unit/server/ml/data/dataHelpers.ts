/** A tiny real WordPiece tokenizer for data tests (vocab given inline). */
import { parseVocabTxt, WordPieceTokenizer } from '../../../../../server/ml/tokenizer';

export const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'cat',
  'sat',
  'on',
  'mat',
  'un',
  '##believ',
  '##able',
  'dog',
  '.',
  'a',
];

export function tinyTokenizer(): WordPieceTokenizer {
  return new WordPieceTokenizer(parseVocabTxt(`${VOCAB.join('\n')}\n`, 'test vocab', { lowercase: true }));
}
