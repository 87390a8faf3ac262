/**
 * Named model sizes and the BiGRU configuration, with Hugging Face's BertConfig defaults otherwise
 * (dropout 0.1, LayerNorm eps 1e-12, initializer range 0.02, two token types).
 */
import type { BertConfig, BigruConfig } from '../types';

export type BertPresetName = 'tiny' | 'mini' | 'small' | 'medium' | 'base';

/** layers / hidden / heads / intermediate (FFN) size of each preset. */
export const BERT_PRESETS: Readonly<
  Record<BertPresetName, { layers: number; hidden: number; heads: number; intermediate: number }>
> = {
  tiny: { layers: 2, hidden: 128, heads: 2, intermediate: 512 },
  mini: { layers: 4, hidden: 256, heads: 4, intermediate: 1024 },
  small: { layers: 4, hidden: 512, heads: 8, intermediate: 2048 },
  medium: { layers: 8, hidden: 512, heads: 8, intermediate: 2048 },
  base: { layers: 12, hidden: 768, heads: 12, intermediate: 3072 },
};

export const BERT_PRESET_NAMES = Object.keys(BERT_PRESETS) as BertPresetName[];

export function bertPreset(name: BertPresetName, vocabSize: number, maxPositions = 512): BertConfig {
  const p = BERT_PRESETS[name];
  if (!p)
    throw new Error(`unknown BERT preset "${String(name)}": use one of ${BERT_PRESET_NAMES.join(', ')}`);
  return {
    arch: 'bert',
    vocabSize,
    hiddenSize: p.hidden,
    numHiddenLayers: p.layers,
    numAttentionHeads: p.heads,
    intermediateSize: p.intermediate,
    maxPositionEmbeddings: maxPositions,
    typeVocabSize: 2,
    hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1,
    layerNormEps: 1e-12,
    initializerRange: 0.02,
  };
}

/** The classic recurrent MLM: embedding 128 → bidirectional GRU 512 → dense softmax over the vocabulary. */
export function bigruConfig(
  vocabSize: number,
  opts: Partial<Omit<BigruConfig, 'arch' | 'vocabSize'>> = {},
): BigruConfig {
  return {
    arch: 'bigru',
    vocabSize,
    embeddingDim: opts.embeddingDim ?? 128,
    gruUnits: opts.gruUnits ?? 512,
    maxPositionEmbeddings: opts.maxPositionEmbeddings ?? 512,
    dropout: opts.dropout ?? 0.1,
    initializerRange: opts.initializerRange ?? 0.02,
  };
}

/** Throws naming the field when a config cannot build a model. */
export function validateModelConfig(config: BertConfig | BigruConfig): void {
  const positive = (field: string, v: number): void => {
    if (!Number.isInteger(v) || v <= 0)
      throw new Error(`model.${field} must be a positive integer, got ${v}`);
  };
  const prob = (field: string, v: number): void => {
    if (!(v >= 0 && v < 1)) throw new Error(`model.${field} must be in [0, 1), got ${v}`);
  };
  positive('vocabSize', config.vocabSize);
  positive('maxPositionEmbeddings', config.maxPositionEmbeddings);
  if (!(config.initializerRange > 0)) {
    throw new Error(`model.initializerRange must be > 0, got ${config.initializerRange}`);
  }
  if (config.arch === 'bert') {
    positive('hiddenSize', config.hiddenSize);
    positive('numHiddenLayers', config.numHiddenLayers);
    positive('numAttentionHeads', config.numAttentionHeads);
    positive('intermediateSize', config.intermediateSize);
    positive('typeVocabSize', config.typeVocabSize);
    if (config.hiddenSize % config.numAttentionHeads !== 0) {
      throw new Error(
        `model.hiddenSize (${config.hiddenSize}) must be a multiple of model.numAttentionHeads (${config.numAttentionHeads})`,
      );
    }
    prob('hiddenDropoutProb', config.hiddenDropoutProb);
    prob('attentionProbsDropoutProb', config.attentionProbsDropoutProb);
    if (!(config.layerNormEps > 0))
      throw new Error(`model.layerNormEps must be > 0, got ${config.layerNormEps}`);
  } else if (config.arch === 'bigru') {
    positive('embeddingDim', config.embeddingDim);
    positive('gruUnits', config.gruUnits);
    prob('dropout', config.dropout);
  } else {
    throw new Error(
      `model.arch must be "bert" or "bigru", got "${String((config as { arch: unknown }).arch)}"`,
    );
  }
}
