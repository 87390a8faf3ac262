/**
 * Fine-tuning (docs/finetune.md): turn a pretrained BERT into a task model — sequence classification (single- and
 * multi-label), regression and token classification — in Hugging Face's layouts.
 *   resolveFinetuneConfig(input) → FinetuneConfig; runFinetune(config, { out, resume, callbacks, control })
 *   loadTaskModel(dir) → { model, tokenizer, head, … }; predictTexts(loaded, inputs); evaluateFile(loaded, file)
 *   exportTaskModel(dir, outDir) / importTaskFolder(hfDir, runDir) — Hugging Face folders out and in
 *   readLabelledData(file, opts), labelSet, stratifiedSplit, the metrics — the pieces, for tests and tools
 */
export {
  resolveFinetuneConfig,
  FinetuneConfigError,
  type FinetuneConfig,
  type FinetuneConfigInput,
  type ClassWeights,
} from './config';
export { runFinetune, type FinetuneSummary, type RunFinetuneOptions } from './run';
export { readFinetuneRecord, type FinetuneRecord } from './taskFolder';
export {
  loadTaskModel,
  predictTexts,
  evaluateFile,
  exportTaskModel,
  importTaskFolder,
  type LoadedTaskModel,
  type TextPrediction,
  type EntityPrediction,
  type FileEvaluation,
} from './infer';
export {
  DEFAULT_METRIC,
  TASK_METRICS,
  lowerIsBetter,
  formatMetrics,
  type TaskEvaluation,
  type TaskDetail,
} from './evaluate';
export { formatTaskEvaluation, perLabelScores } from './evalReport';
export { isTaskModelFolder, TaskModelError, FINETUNE_FILE, TASK_ARCHITECTURES } from './taskFolder';
export {
  readLabelledData,
  FinetuneDataError,
  type DataFormat,
  type ReadOptions,
  type LabelledData,
} from './reader';
export { labelSet, stratifiedSplit, checkLabels } from './labels';
export { parsePredictInputs, type PredictFileInput } from './predictInputs';
export { BertTaskModel, type TaskHead, type TaskBatch } from './model';
export * from './metrics';
export * from './types';
