/** The README.md model card of an exported folder: what the model is, what it was trained on, how well it did. */
import type { BertConfig, MetricRecord } from '../types';

export interface ModelCardInfo {
  name: string;
  config: BertConfig;
  vocabSize: number;
  lowercase: boolean;
  /** Checkpoint step exported and the run's total steps/epochs. */
  step: number;
  epochs?: number;
  /** The HF checkpoint the run started from (model.init), if any. */
  baseModel?: string | null;
  corpus?: { include: string[]; exclude: string[] };
  trainTokens?: number;
  training?: { batchSize: number; seqLen: number; lr: number; maskProbability: number; seed: number };
  /** Eval metrics at the exported step (or the best eval of the run), and the last train record. */
  eval?: MetricRecord;
  lastTrain?: MetricRecord;
  baselineAccuracy?: number;
  backend?: string;
}

const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(2)} %`);
const num = (x: number | undefined, digits = 4): string => (x === undefined ? 'n/a' : x.toFixed(digits));

export function modelCard(i: ModelCardInfo): string {
  const c = i.config;
  const params =
    c.vocabSize * c.hiddenSize +
    (c.maxPositionEmbeddings + c.typeVocabSize) * c.hiddenSize +
    c.numHiddenLayers * (4 * c.hiddenSize * c.hiddenSize + 2 * c.hiddenSize * c.intermediateSize);
  const lines = [
    '---',
    'library_name: transformers',
    'pipeline_tag: fill-mask',
    'tags: [bert, fill-mask, masked-language-modeling, mlm-studio]',
    ...(i.baseModel ? [`base_model: ${JSON.stringify(i.baseModel)}`] : []),
    '---',
    '',
    `# ${i.name}`,
    '',
    `A BERT masked language model (BertForMaskedLM, ${c.numHiddenLayers} layers, hidden size ${c.hiddenSize}, ` +
      `${c.numAttentionHeads} heads, ~${(params / 1e6).toFixed(1)}M parameters) ` +
      (i.step === 0 && i.baseModel
        ? `imported into MLM Studio from \`${i.baseModel}\`, not trained further.`
        : `trained with MLM Studio${i.baseModel ? `, continued from \`${i.baseModel}\`` : ' from scratch'}.`),
    '',
    '## Data',
    '',
    i.corpus && i.step > 0
      ? `Corpus: files matching ${i.corpus.include.map((g) => `\`${g}\``).join(', ')}` +
        (i.corpus.exclude.length
          ? ` (excluding ${i.corpus.exclude.map((g) => `\`${g}\``).join(', ')})`
          : '') +
        ` in the author's workspace${i.trainTokens ? `; ${i.trainTokens.toLocaleString('en-US')} tokens seen in training` : ''}.`
      : 'Corpus: none (no training steps in this run).',
    `Tokenizer: WordPiece, ${i.vocabSize} tokens, ${i.lowercase ? 'lowercased (uncased)' : 'cased'}.`,
    '',
    '## Training',
    '',
    `- steps: ${i.step}${i.epochs !== undefined ? ` (${i.epochs.toFixed(2)} epochs)` : ''}`,
    ...(i.training
      ? [
          `- batch size ${i.training.batchSize}, sequence length ${i.training.seqLen}, peak learning rate ` +
            `${i.training.lr}, masking probability ${i.training.maskProbability}, seed ${i.training.seed}`,
        ]
      : []),
    ...(i.backend ? [`- compute backend: ${i.backend}`] : []),
    '',
    '## Metrics (held-out split)',
    '',
    '| metric | value |',
    '|---|---|',
    `| eval loss | ${num(i.eval?.loss)} |`,
    `| masked-token accuracy | ${pct(i.eval?.accuracy)} |`,
    `| perplexity | ${num(i.eval?.perplexity, 2)} |`,
    `| unigram baseline accuracy | ${pct(i.baselineAccuracy)} |`,
    `| last train loss | ${num(i.lastTrain?.loss)} |`,
    ...(i.eval ? ['', `Evaluated at step ${i.eval.step}.`] : []),
    '',
    '## Use',
    '',
    '```python',
    'from transformers import pipeline',
    'fill = pipeline("fill-mask", model="path/to/this/folder")',
    'print(fill("The capital of France is [MASK]."))',
    '```',
    '',
  ];
  return lines.join('\n');
}
