/**
 * What a resume may change, for every kind of run (pretraining in prepareRun, fine-tuning in runFinetune). The
 * run's saved config defines what it trains and how (corpus, tokenizer, model, data, task, optimizer, schedule,
 * seed): changing any of it would not continue the same run. The caller's config decides the rest: when to stop,
 * how often to evaluate and log, the NaN guard, data-parallel replicas, checkpointing, the backend and its threads.
 */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';

type Training = ResolvedRunConfig['training'];

/** The training fields a resume takes from the caller's config; every other one is the saved run's. */
export const RESUMABLE_TRAINING_FIELDS = [
  'maxSteps',
  'epochs',
  'timeBudget',
  'evalEvery',
  'evalBatches',
  'earlyStoppingPatience',
  'maxNonFinite',
  'logEvery',
  'dataParallel',
] as const satisfies ReadonlyArray<keyof Training>;

type ResumableField = (typeof RESUMABLE_TRAINING_FIELDS)[number];

/** The sections every run config shares (a pretraining run's ResolvedRunConfig, a fine-tune run's FinetuneConfig). */
type RunSections = Pick<ResolvedRunConfig, 'training' | 'checkpoint' | 'backend' | 'threads'>;

/** The config a resumed run trains with: `saved` with the caller's stop criteria, evaluation, checkpoints and backend. */
export function resumeConfig<C extends RunSections>(saved: C, asked: C): C {
  const fromCaller = Object.fromEntries(RESUMABLE_TRAINING_FIELDS.map((k) => [k, asked.training[k]])) as Pick<
    Training,
    ResumableField
  >;
  return {
    ...saved,
    training: { ...saved.training, ...fromCaller },
    checkpoint: asked.checkpoint,
    backend: asked.backend,
    threads: asked.threads,
  };
}
