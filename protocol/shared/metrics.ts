/**
 * One metrics row, as in a run's metrics.jsonl, in mlm/metrics and mlm/runs, and in the dashboard. Defined once:
 * the required fields are the interface below, every optional column is a key of METRIC_COLUMNS (with its doc), and
 * the guard isMetricRecord is derived from that list — a new chart's field is one line here.
 */

/** The optional numeric columns of a metrics row, each documented once (the keys matter; the values are unused). */
export const METRIC_COLUMNS = {
  /** Masked-token accuracy at the prediction targets. */
  accuracy: true,
  perplexity: true,
  lr: true,
  gradNorm: true,
  tokensPerSec: true,
  numTensors: true,
  rssBytes: true,
  /** Steps skipped because the loss or gradients were not finite. */
  skippedSteps: true,
  /** Steps skipped because the loss spiked over training.lossSpike.factor × its running average (in all). */
  lossSpikes: true,
  /** Rollbacks to the newest checkpoint after training.lossSpike.maxInRow spikes in a row (in all). */
  rollbacks: true,
  /** Realised masking over the training targets so far (fractions; see data.masking): targets / maskable tokens. */
  targetRate: true,
  /** Of the targets: replaced by [MASK], by a random token, kept unchanged. */
  maskRate: true,
  randomRate: true,
  keepRate: true,
  /**
   * Compute (train rows): the model's training FLOPs per input token (matrix products, forward × 3; see
   * server/ml/train/flops.ts), the achieved GFLOP/s (tokensPerSec × flopsPerToken), the backend's matMul peak
   * measured at run start (× the replica threads when data-parallel) and MFU = achievedGflops / peakGflops.
   */
  flopsPerToken: true,
  achievedGflops: true,
  peakGflops: true,
  mfu: true,
  /**
   * Fine-tuning eval rows (server/ml/finetune/evaluate.ts): macro-F1 (classification, multilabel), micro-F1 and
   * exact-match accuracy (multilabel), MSE / MAE / Pearson / Spearman (regression), entity-level precision / recall /
   * F1 and word accuracy (token classification).
   */
  macroF1: true,
  microF1: true,
  subsetAccuracy: true,
  mse: true,
  mae: true,
  pearson: true,
  spearman: true,
  precision: true,
  recall: true,
  f1: true,
  tokenAccuracy: true,
} as const;

export type MetricColumn = keyof typeof METRIC_COLUMNS;

/** The optional columns as fields (a homomorphic mapped type, so each keeps its doc comment). */
export type MetricColumns = { [K in MetricColumn]?: number };

/** One line of metrics.jsonl. */
export interface MetricRecord extends MetricColumns {
  split: 'train' | 'eval';
  step: number;
  epoch: number;
  /** Milliseconds since the run started. */
  time: number;
  loss: number;
  /**
   * Fine-tuning eval rows: the label set (id order), each label's F1 (classes, multilabel labels or entity types,
   * in `classes` order) and, for classification, the confusion matrix [true][predicted] in label order.
   */
  classes?: string[];
  classF1?: number[];
  confusion?: number[][];
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A metric row with the required fields of the right types; every column of METRIC_COLUMNS, when present, is a
 * number or null. Used on every row that crosses a trust boundary (webview messages, metrics.jsonl read back).
 */
export function isMetricRecord(v: unknown): v is MetricRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  if (r.split !== 'train' && r.split !== 'eval') return false;
  if (!isFiniteNumber(r.step) || !isFiniteNumber(r.epoch) || !isFiniteNumber(r.time)) return false;
  if (typeof r.loss !== 'number') return false; // NaN/Infinity allowed: a diverging run must still be drawn
  for (const k of Object.keys(METRIC_COLUMNS)) {
    if (r[k] !== undefined && r[k] !== null && typeof r[k] !== 'number') return false;
  }
  return true;
}
