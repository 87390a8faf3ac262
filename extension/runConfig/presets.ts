/**
 * Starting points for a new `*.mlm.json` run config. Each preset is a partial config (the backend fills every
 * other default from the JSON Schema). Pure data, no `vscode`.
 */
import type { RunConfigInput } from '../../protocol/runConfig';

export interface RunConfigPreset {
  id: string;
  label: string;
  detail: string;
  config: RunConfigInput;
}

export const RUN_CONFIG_PRESETS: RunConfigPreset[] = [
  {
    id: 'quick',
    label: 'Quick check (tiny BERT, 200 steps)',
    detail: 'Seconds on a CPU: checks that the corpus, tokenizer and training work end to end.',
    config: {
      name: 'quick check',
      corpus: { include: ['**/*.txt', '**/*.md'] },
      tokenizer: { vocabSize: 2000, minFrequency: 2 },
      model: { arch: 'bert', preset: 'tiny' },
      data: { seqLen: 64 },
      training: { batchSize: 16, maxSteps: 200, evalEvery: 50, logEvery: 10 },
      checkpoint: { every: 100, keepLast: 2 },
    },
  },
  {
    id: 'bert-mini',
    label: 'BERT mini (seqLen 128, 3 epochs)',
    detail: 'A small but useful model for a corpus of a few MB; minutes to hours on a CPU.',
    config: {
      name: 'bert mini',
      corpus: { include: ['**/*.txt', '**/*.md'] },
      tokenizer: { vocabSize: 8192 },
      model: { arch: 'bert', preset: 'mini' },
      data: { seqLen: 128 },
      training: { batchSize: 32, epochs: 3, evalEvery: 200, logEvery: 10 },
      checkpoint: { every: 500, keepLast: 3, keepBest: true },
    },
  },
  {
    id: 'bert-small-gpu',
    label: 'BERT small (GPU, 20k steps)',
    detail: 'For a machine with a GPU (NVIDIA, AMD, Intel, Apple) through WebGPU; "cuda" for tfjs-node-gpu.',
    config: {
      name: 'bert small',
      corpus: { include: ['**/*.txt', '**/*.md'] },
      tokenizer: { vocabSize: 16384 },
      model: { arch: 'bert', preset: 'small' },
      data: {
        seqLen: 128,
        masking: { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: true },
      },
      training: { batchSize: 64, maxSteps: 20000, lr: 0.0005, schedule: 'linear', evalEvery: 500 },
      checkpoint: { every: 1000, keepLast: 3, keepBest: true },
      backend: 'webgpu',
    },
  },
  {
    id: 'bigru',
    label: 'BiGRU (classic recurrent MLM)',
    detail: 'Embedding → bidirectional GRU → softmax; a quick baseline to compare with BERT.',
    config: {
      name: 'bigru',
      corpus: { include: ['**/*.txt', '**/*.md'] },
      tokenizer: { vocabSize: 4096 },
      model: { arch: 'bigru', preset: 'tiny' },
      data: { seqLen: 64 },
      training: { batchSize: 32, maxSteps: 2000, evalEvery: 200 },
      checkpoint: { every: 500, keepLast: 2 },
    },
  },
];

/** The file text of a preset: pretty JSON ending with a newline. */
export function presetFileText(preset: RunConfigPreset): string {
  return `${JSON.stringify(preset.config, null, 2)}\n`;
}
