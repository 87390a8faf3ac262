/**
 * Model configs ↔ Hugging Face config.json (snake_case). BERT maps onto transformers' BertConfig /
 * BertForMaskedLM; the BiGRU has no transformers class and is written with model_type "mlm-studio-bigru".
 */
import type { BertConfig, BigruConfig, ModelConfig } from '../types';

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

export function fromHfConfig(json: Record<string, unknown>): ModelConfig {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`config.json: "${key}" must be a number, got ${JSON.stringify(json[key])}`);
    }
    return v;
  };
  if (json.model_type === 'mlm-studio-bigru') {
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
  if (json.model_type !== undefined && json.model_type !== 'bert') {
    throw new Error(
      `config.json: model_type "${String(json.model_type)}" is not supported; use a BERT checkpoint`,
    );
  }
  const act = json.hidden_act ?? 'gelu';
  if (act !== 'gelu')
    throw new Error(`config.json: hidden_act "${String(act)}" is not supported (only exact "gelu")`);
  const c: BertConfig = {
    arch: 'bert',
    vocabSize: num('vocab_size'),
    hiddenSize: num('hidden_size'),
    numHiddenLayers: num('num_hidden_layers'),
    numAttentionHeads: num('num_attention_heads'),
    intermediateSize: num('intermediate_size'),
    maxPositionEmbeddings: num('max_position_embeddings', 512),
    typeVocabSize: num('type_vocab_size', 2),
    hiddenDropoutProb: num('hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: num('attention_probs_dropout_prob', 0.1),
    layerNormEps: num('layer_norm_eps', 1e-12),
    initializerRange: num('initializer_range', 0.02),
  };
  return c;
}
