/**
 * Continued pretraining: what the trainer does with `model.init`. The checkpoint (a Hugging Face BERT folder, or an
 * MLM Studio run/checkpoint folder such as one made by `mlm import`) defines the model's shape, its starting weights
 * and the tokenizer (kept as is, so every pretrained embedding row keeps its meaning); the run config only sets
 * the dropout.
 */
import * as path from 'node:path';
import type { BertConfig, MlmModel } from '../types';
import type { WordPieceTokenizer } from '../tokenizer';
import { createModelFromHf, formatImportReport, loadInitCheckpoint, type HfImportReport } from './importHf';

export interface ModelInit {
  /** The folder the weights came from (absolute). */
  source: string;
  config: BertConfig;
  tokenizer: WordPieceTokenizer;
  report: HfImportReport;
  /** Builds the model with the checkpoint's weights (missing head parameters initialised from `seed`). */
  createModel(seed: number): MlmModel;
}

export async function prepareModelInit(
  init: string,
  opts: { cwd: string; dropout: number; onLog?: (level: 'info' | 'warn' | 'error', message: string) => void },
): Promise<ModelInit> {
  const source = path.resolve(opts.cwd, init);
  const ckpt = await loadInitCheckpoint(source);
  const config: BertConfig = {
    ...ckpt.config,
    hiddenDropoutProb: opts.dropout,
    attentionProbsDropoutProb: opts.dropout,
  };
  opts.onLog?.('info', `model.init: ${formatImportReport(ckpt.report, config)}`);
  return {
    source,
    config,
    tokenizer: ckpt.tokenizer,
    report: ckpt.report,
    createModel: (seed) => createModelFromHf({ ...ckpt, config }, seed),
  };
}
