/**
 * Model configs ↔ the config.json of our runs and exports (Hugging Face snake_case). BERT maps onto transformers'
 * BertConfig / BertForMaskedLM (read through the strict parser, hf/hfConfig.ts); the BiGRU has no transformers class
 * and is written with model_type "mlm-studio-bigru".
 */
import { HfConfigError, parseHfBertConfig } from '../hf/hfConfig';
import type { BigruConfig, ModelConfig } from '../types';

export function toHfConfig(config: ModelConfig): Record<string, unknown> {
  if (config.arch === 'bert') {
    return {
      architectures: ['BertForMaskedLM'],
      model_type: 'bert',
      vocab_size: config.vocabSize,
      hidden_size: config.hiddenSize,
      num_hidden_layers: config.numHiddenLayers,
      num_attention_heads: config.numAttentionHeads,
      intermediate_size: config.intermediateSize,
      hidden_act: 'gelu',
      hidden_dropout_prob: config.hiddenDropoutProb,
      attention_probs_dropout_prob: config.attentionProbsDropoutProb,
      max_position_embeddings: config.maxPositionEmbeddings,
      type_vocab_size: config.typeVocabSize,
      initializer_range: config.initializerRange,
      layer_norm_eps: config.layerNormEps,
      position_embedding_type: 'absolute',
      tie_word_embeddings: true,
      torch_dtype: 'float32',
    };
  }
  return {
    architectures: ['BiGruForMaskedLM'],
    model_type: 'mlm-studio-bigru',
    vocab_size: config.vocabSize,
    embedding_dim: config.embeddingDim,
    gru_units: config.gruUnits,
    max_position_embeddings: config.maxPositionEmbeddings,
    dropout: config.dropout,
    initializer_range: config.initializerRange,
  };
}

/**
 * Reads a config.json back into a model config: BERT through the one strict Hugging Face parser
 * (hf/hfConfig.ts parseHfBertConfig, which also reads imported checkpoints), our BiGRU by its own model_type.
 * Throws naming `source`, the field and what is wrong.
 */
export function fromHfConfig(json: unknown, source = 'config.json'): ModelConfig {
  const obj =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  if (obj.model_type !== 'mlm-studio-bigru') return parseHfBertConfig(json, source).config;
  const num = (key: string, fallback?: number): number => {
    const v = obj[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new HfConfigError(`${source}: "${key}" must be a number, got ${JSON.stringify(obj[key])}`);
    }
    return v;
  };
  const c: BigruConfig = {
    arch: 'bigru',
    vocabSize: num('vocab_size'),
    embeddingDim: num('embedding_dim'),
    gruUnits: num('gru_units'),
    maxPositionEmbeddings: num('max_position_embeddings'),
    dropout: num('dropout', 0.1),
    initializerRange: num('initializer_range', 0.02),
  };
  return c;
}
