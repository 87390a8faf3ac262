/**
 * The `task` section of a run config (a fine-tune run): its typed form as written, and the check that a fine-tune
 * config sets no pretraining-only section. The JSON Schema (runConfig.schema.json) validates its fields; fine-tuning
 * (server/ml/finetune/config.ts) fills the defaults.
 */
import type { TaskKindChoice } from './shared/choices';

/**
 * A fine-tune run's `task` section as written: `train` and `init` are required, every other field is optional and
 * takes fine-tuning's default (server/ml/finetune/config.ts resolves it; docs/finetune.md lists them).
 */
export interface RunConfigTask {
  kind?: TaskKindChoice;
  train: string;
  eval?: string | null;
  validationSplit?: number;
  textColumn?: string | null;
  textPairColumn?: string | null;
  labelColumn?: string | null;
  labelSeparator?: string;
  maxLength?: number;
  init: string;
  fromScratch?: boolean;
  classWeights?: 'none' | 'balanced' | number[];
  freezeEncoder?: boolean;
  freezeLayers?: number;
  layerDecay?: number;
  dropout?: number | null;
  classifierDropout?: number | null;
  metric?: string | null;
  threshold?: number;
  evalEvery?: number | null;
}

/** Sections a fine-tune run does not use (the model, its tokenizer and its length come from task.init). */
export const PRETRAINING_SECTIONS = ['corpus', 'tokenizer', 'model', 'data'] as const;

/** A fine-tune config (with `task`) that also sets pretraining-only sections: say they would be ignored. */
export function taskSectionErrors(raw: Record<string, unknown>): string[] {
  if (typeof raw.task !== 'object' || raw.task === null || Array.isArray(raw.task)) return [];
  return PRETRAINING_SECTIONS.filter((k) => raw[k] !== undefined).map(
    (k) =>
      `${k} is not used by a fine-tune run (the model, tokenizer and length come from task.init): remove "${k}" or remove "task" to pretrain`,
  );
}
