/**
 * The BERT-family cousins as our BERT: DistilBERT, RoBERTa and XLM-RoBERTa compute exactly what a BERT with
 * mapped weights computes, so their checkpoints import into BertMlm (server/ml/model/bert.ts) unchanged:
 *   DistilBERT   renamed layers (q_lin → query, sa_layer_norm → attention.output.LayerNorm, ffn.lin1 →
 *                intermediate.dense, vocab_transform → cls.predictions.transform.dense, …), LayerNorm eps 1e-12, and
 *                no token types: one all-zero token-type row, which adds nothing.
 *   RoBERTa,     BERT's layers under "roberta.", lm_head.* as the MLM head; positions start at pad_token_id + 1
 *   XLM-R        (create_position_ids_from_input_ids), so the position table is used from that row on: for right-
 *                padded input (ours) every real token sees the same row as in transformers, and pad tokens are
 *                masked out of attention.
 * Each mapping renames the checkpoint's tensors to BertForMaskedLM names, reshapes what differs and supplies what
 * the family lacks; the math is checked against PyTorch (test/unit/server/ml/hf/families.test.ts).
 */
import type { BertConfig, NamedTensor } from '../types';
import { HfConfigError, parseHfBertConfig } from './hfConfig';

export type FamilyName = 'bert' | 'distilbert' | 'roberta' | 'xlm-roberta';

export interface FamilyMapping {
  family: FamilyName;
  config: BertConfig;
  /** The checkpoint's own architecture (e.g. RobertaForMaskedLM). */
  architecture: string;
  /** A stored tensor name → the BertForMaskedLM name it is (names of other tensors pass through). */
  rename(raw: string): string;
  /** Adapts a loaded tensor (by its BERT name) to our shapes. */
  transform(name: string, t: NamedTensor): NamedTensor;
  /** Tensors the family does not have, supplied after loading. */
  supply(): Map<string, NamedTensor>;
}

const TOKEN_TYPES = 'bert.embeddings.token_type_embeddings.weight';
const POSITIONS = 'bert.embeddings.position_embeddings.weight';

const DISTIL_RENAMES: Array<[RegExp, string]> = [
  [/^(embeddings|transformer)\./, 'distilbert.$1.'],
  [/^distilbert\.embeddings\./, 'bert.embeddings.'],
  [
    /^distilbert\.transformer\.layer\.(\d+)\.attention\.q_lin\./,
    'bert.encoder.layer.$1.attention.self.query.',
  ],
  [/^distilbert\.transformer\.layer\.(\d+)\.attention\.k_lin\./, 'bert.encoder.layer.$1.attention.self.key.'],
  [
    /^distilbert\.transformer\.layer\.(\d+)\.attention\.v_lin\./,
    'bert.encoder.layer.$1.attention.self.value.',
  ],
  [
    /^distilbert\.transformer\.layer\.(\d+)\.attention\.out_lin\./,
    'bert.encoder.layer.$1.attention.output.dense.',
  ],
  [
    /^distilbert\.transformer\.layer\.(\d+)\.sa_layer_norm\./,
    'bert.encoder.layer.$1.attention.output.LayerNorm.',
  ],
  [/^distilbert\.transformer\.layer\.(\d+)\.ffn\.lin1\./, 'bert.encoder.layer.$1.intermediate.dense.'],
  [/^distilbert\.transformer\.layer\.(\d+)\.ffn\.lin2\./, 'bert.encoder.layer.$1.output.dense.'],
  [/^distilbert\.transformer\.layer\.(\d+)\.output_layer_norm\./, 'bert.encoder.layer.$1.output.LayerNorm.'],
  [/^vocab_transform\./, 'cls.predictions.transform.dense.'],
  [/^vocab_layer_norm\./, 'cls.predictions.transform.LayerNorm.'],
  [/^vocab_projector\.weight$/, 'cls.predictions.decoder.weight'],
  [/^vocab_projector\.bias$/, 'cls.predictions.bias'],
];

const ROBERTA_RENAMES: Array<[RegExp, string]> = [
  [/^roberta\./, 'bert.'],
  [/^lm_head\.dense\./, 'cls.predictions.transform.dense.'],
  [/^lm_head\.layer_norm\./, 'cls.predictions.transform.LayerNorm.'],
  [/^lm_head\.bias$/, 'cls.predictions.bias'],
  [/^lm_head\.decoder\.weight$/, 'cls.predictions.decoder.weight'],
  [/^lm_head\.decoder\.bias$/, 'cls.predictions.decoder.bias'],
];

const applyRenames = (rules: Array<[RegExp, string]>, raw: string): string =>
  rules.reduce((name, [re, to]) => name.replace(re, to), raw);

const same = (_name: string, t: NamedTensor): NamedTensor => t;

function distilbert(c: Record<string, unknown>, source: string): FamilyMapping {
  const act = c.activation ?? 'gelu';
  if (act !== 'gelu') {
    throw new HfConfigError(
      `${source}: DistilBERT activation "${String(act)}" is not supported (only the exact "gelu")`,
    );
  }
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : ['DistilBertForMaskedLM'];
  const architecture = archs.find((a) => a === 'DistilBertForMaskedLM' || a === 'DistilBertModel');
  if (!architecture) {
    throw new HfConfigError(
      `${source}: architectures ${JSON.stringify(archs)} are not supported; import takes DistilBertForMaskedLM and ` +
        `DistilBertModel checkpoints (a fine-tuned task model has no MLM head to continue from)`,
    );
  }
  // DistilBertConfig's fields, in BertConfig's names, so one parser checks them.
  const { config } = parseHfBertConfig(
    {
      model_type: 'bert',
      architectures: [architecture === 'DistilBertModel' ? 'BertModel' : 'BertForMaskedLM'],
      vocab_size: c.vocab_size,
      hidden_size: c.dim ?? 768,
      num_hidden_layers: c.n_layers ?? 6,
      num_attention_heads: c.n_heads ?? 12,
      intermediate_size: c.hidden_dim ?? 3072,
      max_position_embeddings: c.max_position_embeddings ?? 512,
      type_vocab_size: 1,
      hidden_dropout_prob: c.dropout ?? 0.1,
      attention_probs_dropout_prob: c.attention_dropout ?? 0.1,
      layer_norm_eps: 1e-12,
      initializer_range: c.initializer_range ?? 0.02,
    },
    source,
  );
  return {
    family: 'distilbert',
    config,
    architecture,
    rename: (raw) => applyRenames(DISTIL_RENAMES, raw),
    transform: same,
    supply: () =>
      new Map([[TOKEN_TYPES, { shape: [1, config.hiddenSize], data: new Float32Array(config.hiddenSize) }]]),
  };
}

function roberta(
  family: 'roberta' | 'xlm-roberta',
  c: Record<string, unknown>,
  source: string,
): FamilyMapping {
  const prefix = family === 'roberta' ? 'Roberta' : 'XLMRoberta';
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : [`${prefix}ForMaskedLM`];
  const architecture = archs.find((a) => a === `${prefix}ForMaskedLM` || a === `${prefix}Model`);
  if (!architecture) {
    throw new HfConfigError(
      `${source}: architectures ${JSON.stringify(archs)} are not supported; import takes ${prefix}ForMaskedLM and ` +
        `${prefix}Model checkpoints (a fine-tuned task model has no MLM head to continue from)`,
    );
  }
  const pad = c.pad_token_id ?? 1;
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) {
    throw new HfConfigError(`${source}: pad_token_id must be an integer ≥ 0, got ${JSON.stringify(pad)}`);
  }
  const parsed = parseHfBertConfig(
    {
      ...c,
      model_type: 'bert',
      architectures: [architecture.endsWith('Model') ? 'BertModel' : 'BertForMaskedLM'],
      layer_norm_eps: c.layer_norm_eps ?? 1e-5,
      type_vocab_size: c.type_vocab_size ?? 1,
      max_position_embeddings: c.max_position_embeddings ?? 514,
    },
    source,
  );
  const stored = parsed.config.maxPositionEmbeddings;
  const first = pad + 1;
  if (stored <= first + 1) {
    throw new HfConfigError(
      `${source}: max_position_embeddings ${stored} leaves no positions after pad_token_id ${pad}`,
    );
  }
  const config: BertConfig = { ...parsed.config, maxPositionEmbeddings: stored - first };
  return {
    family,
    config,
    architecture,
    rename: (raw) => applyRenames(ROBERTA_RENAMES, raw),
    transform: (name, t) => {
      if (name !== POSITIONS || t.shape[0] !== stored) return t;
      const h = t.shape[1];
      return { shape: [stored - first, h], data: t.data.slice(first * h) };
    },
    supply: () => new Map(),
  };
}

/** The mapping of a config.json (parsed) onto our BERT; HfConfigError names what is not supported. */
export function familyMapping(raw: unknown, source: string): FamilyMapping {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HfConfigError(`${source}: config.json must be a JSON object`);
  }
  const c = raw as Record<string, unknown>;
  if (c.model_type === 'distilbert') return distilbert(c, source);
  if (c.model_type === 'roberta' || c.model_type === 'xlm-roberta') return roberta(c.model_type, c, source);
  const parsed = parseHfBertConfig(c, source);
  return {
    family: 'bert',
    config: parsed.config,
    architecture: parsed.architecture,
    rename: (name) => name,
    transform: same,
    supply: () => new Map(),
  };
}
