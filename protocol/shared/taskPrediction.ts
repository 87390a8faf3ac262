/**
 * A task model's answer for one input (server/ml/finetune predictTexts, mlm/predict, `mlm predict --json`, the
 * JSONL that mlm/predict writes for a file): the label(s) with every label's probability, a regression's values, or
 * a token classifier's entities with their character spans.
 */

export interface EntitySpan {
  type: string;
  /** [start, end) UTF-16 offsets into the input text. */
  start: number;
  end: number;
  text: string;
  /** Mean probability of the entity's word tags. */
  score: number;
}

export interface TaskPrediction {
  text: string;
  textPair?: string;
  /** classification: the top label; multilabel: every label over the threshold; regression and token: none. */
  labels: string[];
  /** Every label's probability (softmax; multilabel: each sigmoid), highest first. */
  scores: Array<{ label: string; score: number }>;
  /** regression: the predicted values (one per target). */
  values?: number[];
  /** token classification: the entities found. */
  entities?: EntitySpan[];
  /** The input was cut to the model's max length. */
  truncated: boolean;
}

/** The task model mlm/predict and Classify Selection use. */
export interface TaskModelInfo {
  /** The checkpoint (or Hugging Face folder) the weights came from. */
  dir: string;
  /** The fine-tune run, when the model is one of ours. */
  runId?: string;
  step?: number;
  /** classification, multilabel, regression or token. */
  task: string;
  labels: string[];
}
