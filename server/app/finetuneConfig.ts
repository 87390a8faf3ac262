/**
 * A run config with a `task` section (schema-validated by parseRunConfig) → the FinetuneConfig that runFinetune
 * takes. Fine-tuning has its own defaults (lr 5e-5, 3 epochs, warmup ratio 0.1, …: server/ml/finetune/config.ts), so
 * only the training and checkpoint fields the user wrote are passed on, never the pretraining defaults the schema
 * filled in. Paths resolve against the workspace root; a missing file is an InvalidRunConfig error naming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlmError, MlmErrorCodes, type InvalidRunConfigData } from '../../protocol/errors';
import type { ResolvedRunConfig, RunConfigTask } from '../../protocol/runConfig';
import {
  FinetuneConfigError,
  resolveFinetuneConfig,
  type FinetuneConfig,
  type FinetuneConfigInput,
} from '../ml/finetune';

const invalid = (source: string, errors: string[]): MlmError =>
  new MlmError(
    MlmErrorCodes.InvalidRunConfig,
    `the run config (${source}) is invalid: ${errors.join('; ')}`,
    { errors } satisfies InvalidRunConfigData,
  );

const objectAt = (raw: unknown, key: string): Record<string, unknown> | undefined => {
  const v = (raw as Record<string, unknown> | null)?.[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
};

/**
 * The fine-tune config of a validated run config whose `task` is set. `raw` is the config as written (to tell the
 * fields the user set from the schema's pretraining defaults); `root` is the workspace folder.
 */
export function finetuneConfigOf(
  raw: unknown,
  config: ResolvedRunConfig & { task: RunConfigTask },
  root: string,
  source: string,
): FinetuneConfig {
  const t = config.task;
  const abs = (p: string): string => path.resolve(root, p);
  const task = {
    ...t,
    train: abs(t.train),
    init: abs(t.init),
    eval: t.eval ? abs(t.eval) : null,
  };
  const missing: string[] = [];
  for (const [field, p] of [
    ['task.train', task.train],
    ['task.init', task.init],
    ['task.eval', task.eval],
  ] as const) {
    if (p && !fs.existsSync(p))
      missing.push(`${field} ${p} does not exist: check the path (relative to ${root})`);
  }
  if (missing.length) throw invalid(source, missing);
  const input: FinetuneConfigInput = {
    task,
    training: objectAt(raw, 'training') as FinetuneConfigInput['training'],
    checkpoint: objectAt(raw, 'checkpoint') as FinetuneConfigInput['checkpoint'],
    logging: config.logging,
    backend: config.backend,
    threads: config.threads,
  };
  try {
    return resolveFinetuneConfig(input);
  } catch (err) {
    if (err instanceof FinetuneConfigError) throw invalid(source, [err.message]);
    throw err;
  }
}
