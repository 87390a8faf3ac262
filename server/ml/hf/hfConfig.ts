/**
 * Hugging Face BERT config.json ⇄ our BertConfig (camelCase here, snake_case in the file).
 * Import accepts BertForMaskedLM, BertForPreTraining and BertModel checkpoints of model_type "bert" whose math our
 * model reproduces exactly (erf GELU, absolute positions); anything else is refused with the reason.
 */
import type { BertConfig } from '../types';

/** Architectures whose encoder (and MLM head, when present) we load. */
export const SUPPORTED_ARCHITECTURES = ['BertForMaskedLM', 'BertForPreTraining', 'BertModel'] as const;
export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

export class HfConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HfConfigError';
  }
}

export interface ParsedHfConfig {
  config: BertConfig;
  architecture: SupportedArchitecture;
  /** The raw JSON, for fields we carry through (e.g. pad_token_id). */
  raw: Record<string, unknown>;
}

/** BertConfig defaults in transformers, used when a field is absent. */
const HF_DEFAULTS = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  layer_norm_eps: 1e-12,
  initializer_range: 0.02,
};

export function parseHfBertConfig(raw: unknown, source: string): ParsedHfConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HfConfigError(`${source}: config.json must be a JSON object`);
  }
  const c = raw as Record<string, unknown>;
  const modelType = c.model_type;
  if (modelType !== undefined && modelType !== 'bert') {
    throw new HfConfigError(
      `${source}: model_type "${String(modelType)}" is not supported; BERT, DistilBERT, RoBERTa and XLM-RoBERTa ` +
        `checkpoints can be imported — pick one of those (e.g. google-bert/bert-base-uncased, distilbert-base-uncased)`,
    );
  }
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : ['BertForMaskedLM'];
  const architecture = archs.find((a): a is SupportedArchitecture =>
    (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a),
  );
  if (!architecture) {
    throw new HfConfigError(
      `${source}: architectures ${JSON.stringify(archs)} are not supported; import takes ` +
        `${SUPPORTED_ARCHITECTURES.join(', ')} checkpoints (a fine-tuned task model has no MLM head to continue from)`,
    );
  }
  if (modelType === undefined && !archs.some((a) => a.startsWith('Bert'))) {
    throw new HfConfigError(`${source}: config.json names no model_type and no BERT architecture`);
  }
  const act = c.hidden_act ?? 'gelu';
  if (act !== 'gelu') {
    throw new HfConfigError(
      `${source}: hidden_act "${String(act)}" is not supported; our BERT uses the exact erf GELU ("gelu") — ` +
        `importing would silently change the model's outputs`,
    );
  }
  const pos = c.position_embedding_type ?? 'absolute';
  if (pos !== 'absolute') {
    throw new HfConfigError(
      `${source}: position_embedding_type "${String(pos)}" is not supported; only "absolute" positions are`,
    );
  }
  const num = (key: keyof typeof HF_DEFAULTS | 'vocab_size', integer: boolean, min: number): number => {
    const v = c[key] ?? (key === 'vocab_size' ? undefined : HF_DEFAULTS[key]);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw new HfConfigError(
        `${source}: ${key} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const config: BertConfig = {
    arch: 'bert',
    vocabSize: num('vocab_size', true, 1),
    hiddenSize: num('hidden_size', true, 1),
    numHiddenLayers: num('num_hidden_layers', true, 1),
    numAttentionHeads: num('num_attention_heads', true, 1),
    intermediateSize: num('intermediate_size', true, 1),
    maxPositionEmbeddings: num('max_position_embeddings', true, 2),
    typeVocabSize: num('type_vocab_size', true, 1),
    hiddenDropoutProb: num('hidden_dropout_prob', false, 0),
    attentionProbsDropoutProb: num('attention_probs_dropout_prob', false, 0),
    layerNormEps: num('layer_norm_eps', false, 0),
    initializerRange: num('initializer_range', false, 0),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new HfConfigError(
      `${source}: hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`,
    );
  }
  return { config, architecture, raw: c };
}
