/**
 * Continued pretraining: what the trainer does with `model.init`. The checkpoint (a Hugging Face folder, a Hub id or
 * a folder of the Hugging Face cache — see server/ml/hub/resolve.ts — or an MLM Studio run/checkpoint folder such as
 * one made by `mlm import`) defines the model's shape, its starting weights and the tokenizer (kept as is, so every
 * pretrained embedding row keeps its meaning); the run config only sets the dropout.
 */
import { formatBytes } from '../../../protocol/shared/units';
import { resolveModelSource, type ModelProgress } from '../hub';
import type { BertConfig, MlmModel } from '../types';
import type { AnyTokenizer } from '../tokenizer';
import { createModelFromHf, formatImportReport, loadInitCheckpoint, type HfImportReport } from './importHf';

export interface ModelInit {
  /** The folder the weights came from (absolute; a Hub id's snapshot folder in the cache). */
  source: string;
  /** For a Hub id or cache folder: the repo and the commit the weights are from. */
  hub?: { repoId: string; commit: string };
  config: BertConfig;
  tokenizer: AnyTokenizer;
  report: HfImportReport;
  /** Builds the model with the checkpoint's weights (missing head parameters initialised from `seed`). */
  createModel(seed: number): MlmModel;
}

export async function prepareModelInit(
  init: string,
  opts: {
    cwd: string;
    dropout: number;
    onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
    /** Download progress of a Hub id (default: a log line every 10%). */
    onProgress?: (p: ModelProgress) => void;
    signal?: AbortSignal;
  },
): Promise<ModelInit> {
  let logged = -1;
  const resolved = await resolveModelSource(init, {
    cwd: opts.cwd,
    signal: opts.signal,
    onLog: opts.onLog,
    onProgress:
      opts.onProgress ??
      ((p) => {
        const tenth = p.total ? Math.floor((p.received / p.total) * 10) : 0;
        if (tenth === logged) return;
        logged = tenth;
        opts.onLog?.(
          'info',
          `downloading ${p.repoId}: ${tenth * 10}% of ${formatBytes(p.total)} (${p.file})`,
        );
      }),
  });
  const source = resolved.dir;
  const ckpt = await loadInitCheckpoint(source);
  const config: BertConfig = {
    ...ckpt.config,
    hiddenDropoutProb: opts.dropout,
    attentionProbsDropoutProb: opts.dropout,
  };
  opts.onLog?.('info', `model.init: ${formatImportReport(ckpt.report, config)}`);
  return {
    source,
    ...(resolved.hub ? { hub: { repoId: resolved.hub.repoId, commit: resolved.hub.commit } } : {}),
    config,
    tokenizer: ckpt.tokenizer,
    report: ckpt.report,
    createModel: (seed) => createModelFromHf({ ...ckpt, config }, seed),
  };
}
