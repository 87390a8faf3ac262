/**
 * The named choices of a run: compute backends, model architectures and sizes, learning-rate schedules and example
 * modes. Each is a list (for CLI checks, menus and tests) and the type derived from it; runConfig.schema.json's enums
 * must list the same values (a unit test compares them).
 */

/**
 * Compute (TF.js) backends a run or the CLI can ask for, in `auto`'s order of preference: WebGPU on a hardware
 * adapter → cuda (tfjs-node-gpu) → tensorflow (tfjs-node) → wasm → cpu. `webgpu` on a software adapter only when
 * asked for by name.
 */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'cuda', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** A backend that runs (`cuda` and `tensorflow` are both tfjs's "tensorflow" backend on libtensorflow). */
export type BackendName = Exclude<BackendChoice, 'auto'>;

export const MODEL_ARCHS = ['bert', 'bigru'] as const;
export type ModelArch = (typeof MODEL_ARCHS)[number];

/** Named BERT sizes (layers / hidden / heads / FFN per name: server/ml/model/presets.ts). */
export const MODEL_PRESETS = ['tiny', 'mini', 'small', 'medium', 'base'] as const;
export type ModelPreset = (typeof MODEL_PRESETS)[number];

export const LR_SCHEDULES = ['linear', 'cosine', 'constant'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/**
 * Training recipes (protocol/runRecipe.ts): `bert` is the classic recipe with the config's own values; `per-minute`
 * fills the values a time-budgeted pretraining learns fastest with (masking rate, dropout, batch, peak LR and warmup
 * for the budget) under what the config sets itself; `auto` (default) is `per-minute` for a pretraining run with a
 * time budget (not continued pretraining from model.init, not fine-tuning), else `bert`.
 */
export const TRAINING_RECIPES = ['auto', 'bert', 'per-minute'] as const;
export type TrainingRecipe = (typeof TRAINING_RECIPES)[number];

/** How the corpus is cut into examples: each document cut into seqLen chunks, or one example per non-empty line. */
export const EXAMPLE_MODES = ['chunk', 'line'] as const;
export type ExampleMode = (typeof EXAMPLE_MODES)[number];

/**
 * Fine-tuning tasks (a run config's task.kind): one label per text, any number of labels (per-label sigmoid), float
 * targets, one tag per word. server/ml/finetune's TaskKind is the same list (a unit test compares them).
 */
export const TASK_KINDS = ['classification', 'multilabel', 'regression', 'token'] as const;
export type TaskKindChoice = (typeof TASK_KINDS)[number];
