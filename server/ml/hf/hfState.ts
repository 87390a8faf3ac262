/**
 * Hugging Face BERT state dicts: the names and shapes a BertForMaskedLM of a given config has, and the mapping of
 * the names real checkpoints carry onto them. Checkpoints differ in small ways that transformers itself accepts:
 *   - BertModel files have no "bert." prefix (and a pooler, and no MLM head);
 *   - BertForPreTraining files add the next-sentence head cls.seq_relationship.*;
 *   - TF-converted files name LayerNorm parameters gamma/beta;
 *   - the decoder weight (tied to the word embeddings) and decoder bias (the same tensor as cls.predictions.bias)
 *     may or may not be stored; integer buffers such as position_ids may be stored.
 */
import type { BertConfig } from '../types';

export const WORD_EMBEDDINGS = 'bert.embeddings.word_embeddings.weight';
export const HEAD_BIAS = 'cls.predictions.bias';
export const DECODER_WEIGHT = 'cls.predictions.decoder.weight';
export const DECODER_BIAS = 'cls.predictions.decoder.bias';

/** The MLM head parameters (initialised when a checkpoint lacks them). */
export const isHeadParameter = (name: string): boolean => name.startsWith('cls.predictions.');

/** Every parameter of BertForMaskedLM for this config, in HF names and HF shapes (Linear weights [out, in]). */
export function expectedBertShapes(c: BertConfig): Map<string, number[]> {
  const { vocabSize: v, hiddenSize: h, intermediateSize: f } = c;
  const m = new Map<string, number[]>();
  const linear = (p: string, inDim: number, outDim: number): void => {
    m.set(`${p}.weight`, [outDim, inDim]);
    m.set(`${p}.bias`, [outDim]);
  };
  const norm = (p: string): void => {
    m.set(`${p}.weight`, [h]);
    m.set(`${p}.bias`, [h]);
  };
  m.set(WORD_EMBEDDINGS, [v, h]);
  m.set('bert.embeddings.position_embeddings.weight', [c.maxPositionEmbeddings, h]);
  m.set('bert.embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]);
  norm('bert.embeddings.LayerNorm');
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const l = `bert.encoder.layer.${i}`;
    linear(`${l}.attention.self.query`, h, h);
    linear(`${l}.attention.self.key`, h, h);
    linear(`${l}.attention.self.value`, h, h);
    linear(`${l}.attention.output.dense`, h, h);
    norm(`${l}.attention.output.LayerNorm`);
    linear(`${l}.intermediate.dense`, h, f);
    linear(`${l}.output.dense`, f, h);
    norm(`${l}.output.LayerNorm`);
  }
  linear('cls.predictions.transform.dense', h, h);
  norm('cls.predictions.transform.LayerNorm');
  m.set(HEAD_BIAS, [v]);
  return m;
}

export type NameFate =
  | { kind: 'param'; name: string }
  /** Stored but not a separate parameter of ours (tied/aliased): compared, then dropped. */
  | { kind: 'tied'; name: string; tiedTo: string }
  /** Known and deliberately unused (pooler, next-sentence head, integer buffers). */
  | { kind: 'unused'; why: string }
  | { kind: 'unknown' };

const UNUSED: Array<[RegExp, string]> = [
  [/^bert\.pooler\./, 'the pooler (used only by classification fine-tuning)'],
  [/^cls\.seq_relationship\./, 'the next-sentence-prediction head'],
  [/^bert\.embeddings\.(position_ids|token_type_ids)$/, 'an integer buffer'],
];

/** Maps a checkpoint's tensor name to what it is for us. */
export function classifyName(raw: string): NameFate {
  let name = raw;
  if (/^(embeddings|encoder|pooler)\./.test(name)) name = `bert.${name}`;
  name = name
    .replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight')
    .replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
  for (const [re, why] of UNUSED) if (re.test(name)) return { kind: 'unused', why };
  if (name === DECODER_WEIGHT) return { kind: 'tied', name, tiedTo: WORD_EMBEDDINGS };
  if (name === DECODER_BIAS) return { kind: 'tied', name, tiedTo: HEAD_BIAS };
  if (name.startsWith('bert.') || name.startsWith('cls.predictions.')) return { kind: 'param', name };
  return { kind: 'unknown' };
}

export const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
