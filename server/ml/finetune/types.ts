/**
 * Fine-tuning's shared vocabulary: the four tasks, a labelled example of each kind, and why a row was skipped.
 */

/** classification: one label per text; multilabel: any number (per-label sigmoid); regression: float targets;
 * token: one tag per word (BIO for entities). */
export type TaskKind = 'classification' | 'multilabel' | 'regression' | 'token';
export const TASK_KINDS: readonly TaskKind[] = ['classification', 'multilabel', 'regression', 'token'];

/** Hugging Face's config.json `problem_type` for each task (token classification has none). */
export const PROBLEM_TYPES: Record<Exclude<TaskKind, 'token'>, string> = {
  classification: 'single_label_classification',
  multilabel: 'multi_label_classification',
  regression: 'regression',
};

/** A text (and optional second text) with its label(s) or target value(s). */
export interface TextExample {
  /** "file:line" (or the file path for one-file-per-example folders). */
  where: string;
  text: string;
  textPair?: string;
  /** classification: exactly one; multilabel: zero or more; regression: none. */
  labels: string[];
  /** regression: one or more float targets. */
  values?: number[];
}

/** One sentence of a CoNLL-style file: its words and one tag per word. */
export interface TokenExample {
  where: string;
  words: string[];
  tags: string[];
}

export type LabelledExample = TextExample | TokenExample;

export const isTokenExample = (e: LabelledExample): e is TokenExample => 'words' in e;

export interface BadRow {
  /** "file:line". */
  where: string;
  reason: string;
}

export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'folder' | 'conll';

export interface ReadOptions {
  task: TaskKind;
  /** Column of the text (default "text"). */
  textColumn?: string;
  /** Column of the optional second text (default "text_pair"; absent column = single texts). */
  textPairColumn?: string;
  /** Column of the label(s) (default "label", else "labels"). */
  labelColumn?: string;
  /** Separator of several labels / values in one CSV or TSV cell (default ","). JSON arrays work everywhere. */
  labelSeparator?: string;
  /** Forces a format instead of guessing it from the extension. */
  format?: DataFormat;
}

export interface LabelledData {
  file: string;
  format: DataFormat;
  examples: LabelledExample[];
  bad: BadRow[];
}

export class FinetuneDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinetuneDataError';
  }
}
