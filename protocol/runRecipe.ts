/**
 * Training recipes (training.recipe): which values a run trains with where its config is silent. `bert` leaves the
 * schema's defaults (the classic recipe); `per-minute` — the default of a time-budgeted pretraining run — fills in
 * the values that learn the most per minute of wall clock, chosen by measurement (docs/training.md, "Learning per
 * minute": `npm run bench -- quality`). A value the config sets itself always wins; the resolved config (a run's
 * config.json) holds every value, so a resume trains on with the same ones.
 */
import type { ModelArch, TrainingRecipe } from './shared/choices';

export type ResolvedRecipe = Exclude<TrainingRecipe, 'auto'>;

/** Peak learning rate of the per-minute recipe for a budget (ms) and architecture. */
export function perMinuteLr(arch: ModelArch, budgetMs: number): number {
  // Measured at 2 and 5 minutes (docs/training.md); longer budgets take the square-root decline of the peak with
  // the number of steps (1e-3 at 1 h), never below BERT's 5e-4.
  const peak = arch === 'bigru' ? 3e-3 : 2e-3;
  const fifteenMin = 15 * 60_000;
  const lr = budgetMs <= fifteenMin ? peak : peak * Math.sqrt(fifteenMin / budgetMs);
  return Number(Math.max(5e-4, lr).toPrecision(3));
}

/**
 * GRU units of a per-minute BiGRU (its default size is 512): each of its time steps is a chain of small kernels, so
 * on CPU half the units are ~2× the tokens per second, which wins in minutes (docs/training.md, "Learning per minute").
 */
export const PER_MINUTE_GRU_UNITS = 256;

/** The per-minute recipe's values for a budget: a partial run config the user's own values are merged over. */
export function perMinuteValues(arch: ModelArch, budgetMs: number): Record<string, unknown> {
  return {
    model: arch === 'bigru' ? { dropout: 0, overrides: { gruUnits: PER_MINUTE_GRU_UNITS } } : { dropout: 0 },
    // Training targets only: evaluation always masks 15 % with 80/10/10 (server/ml/data/stream.ts evalMasking).
    data: { masking: { probability: 0.3 } },
    training: {
      batchSize: 32,
      lr: perMinuteLr(arch, budgetMs),
      warmupRatio: 0.05,
      schedule: 'linear',
    },
  };
}

/**
 * The recipe a raw run config asks for: its training.recipe, or for `auto` (or none) `per-minute` when the run is
 * pretraining from scratch with a time budget (`budgetMs` parsed from training.timeBudget), else `bert`.
 * Continued pretraining (model.init) and fine-tuning (task) keep the classic recipe: a high learning rate would
 * undo what the pretrained weights know.
 */
export function chooseRecipe(raw: {
  recipe: unknown;
  budgetMs: number | undefined;
  init: unknown;
  task: unknown;
}): ResolvedRecipe | undefined {
  if (raw.recipe === 'bert' || raw.recipe === 'per-minute') return raw.recipe;
  if (raw.recipe !== undefined && raw.recipe !== 'auto') return undefined; // the schema reports it
  const scratch =
    (raw.init === undefined || raw.init === null) && (raw.task === undefined || raw.task === null);
  return scratch && raw.budgetMs !== undefined ? 'per-minute' : 'bert';
}
