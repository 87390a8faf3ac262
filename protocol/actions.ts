/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * The run actions VS Code offers besides training (MLM: Evaluate Run…, Import Hugging Face Model…, Tokenizer Coverage
 * Report), each the same as its CLI command. The backend runs each in a job worker of its own: `$/progress` reports
 * it when the client gives a `workDoneToken`, and `$/cancelRequest` ends the worker at once (RequestCancelled).
 */
import { RequestType } from 'vscode-jsonrpc';

/** Per-label scores of a fine-tuned model's evaluation (classification, multilabel, token types). */
export interface LabelScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** A pretraining run's evaluation, as `mlm eval --run DIR --corpus P` computes it. */
export interface MlmEvaluation {
  kind: 'mlm';
  /** What was evaluated: "3 file(s)", or "the held-out split (2 of 9 files)". */
  source: string;
  files: number;
  examples: number;
  seqLen: number;
  loss: number;
  accuracy: number;
  perplexity: number;
  /** Masked tokens scored. */
  tokens: number;
  /** Accuracy of always predicting the most frequent token (of the training split, else of the text). */
  baselineAccuracy: number;
  baselineToken: string;
  maskSeed: number;
}

/** A fine-tuned run's evaluation on a labelled file, as `mlm eval --run FT_DIR --data FILE` computes it. */
export interface TaskEvaluationResult {
  kind: 'task';
  task: string;
  file: string;
  examples: number;
  /** Rows left out (unknown label, unreadable row), with the first reasons. */
  skipped: number;
  skippedReasons: string[];
  truncated: number;
  /** Flat metrics: loss, accuracy, macroF1, … (the task's columns of the metric rows). */
  metrics: Record<string, number>;
  labels: string[];
  perLabel: LabelScores[];
  /** Classification: counts [true][predicted] in `labels` order. */
  confusion?: number[][];
}

/**
 * Client → backend (MLM: Evaluate Run…): evaluate run `runId`'s best (else newest) checkpoint. A pretraining run
 * reads `corpus` (files, folders or globs; absolute or relative to the workspace), or — without it — its own held-out
 * split rebuilt from its corpus. A fine-tune run reads the labelled file `data`, or — without it — its task.eval file.
 */
export namespace EvaluateRunRequest {
  export const method = 'mlm/evaluateRun' as const;
  export interface Params {
    runId: string;
    corpus?: string[];
    data?: string;
    /** Examples per forward pass (default: the run's batch size; 32 for a fine-tune run). */
    batchSize?: number;
    workDoneToken?: string | number;
  }
  export interface Result {
    runId: string;
    checkpoint: string;
    step?: number;
    evaluation: MlmEvaluation | TaskEvaluationResult;
    /** The same report as the CLI prints, line by line. */
    report: string[];
    elapsedMs: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/**
 * Client → backend (MLM: Import Hugging Face Model…): a local Hugging Face folder (config.json, weights, vocabulary)
 * becomes run `runId` of the workspace, as `mlm import --hf DIR --out .mlm/runs/<runId>` does: an MLM checkpoint
 * for fill-mask and continued pretraining, or a task model folder as a fine-tune run.
 */
export namespace ImportModelRequest {
  export const method = 'mlm/importModel' as const;
  export interface Params {
    /** The Hugging Face folder: absolute, or relative to the workspace. */
    folder: string;
    /** The new run's id (letters, digits, `.`, `_`, `-`); default: the folder's name with `-imported`. */
    runId?: string;
    workDoneToken?: string | number;
  }
  export interface Result {
    runId: string;
    runDir: string;
    /** 'mlm' (fill-mask, continued pretraining, fine-tuning from it) or the task of a task model. */
    kind: 'mlm' | 'task';
    /** The architecture or family imported (e.g. "BertForMaskedLM", "DistilBERT"). */
    summary: string;
    vocabSize?: number;
    task?: string;
    labels?: string[];
    /** The import report as `mlm import` prints it, line by line. */
    report: string[];
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** One word of the coverage report: how often it occurs and the pieces the tokenizer cuts it into. */
export interface CoverageWordRow {
  word: string;
  count: number;
  pieces: string[];
}

/**
 * Client → backend (MLM: Tokenizer Coverage Report): how well run `runId`'s WordPiece vocabulary covers a text —
 * `text` (the words of the current editor) or `files` (word lists, corpora) — as `mlm tokenizer report` computes it.
 */
export namespace CoverageReportRequest {
  export const method = 'mlm/coverageReport' as const;
  export interface Params {
    runId: string;
    /** Exactly one of `text` (at most 10,000,000 characters) or `files` (absolute, or relative to the workspace). */
    text?: string;
    files?: string[];
    /** How many of the most fragmented and of the [UNK] words to list (0..500, default 20). */
    top?: number;
    workDoneToken?: string | number;
  }
  export interface Result {
    runId: string;
    /** The tokenizer: its size and casing. */
    vocabSize: number;
    lowercase: boolean;
    words: number;
    distinctWords: number;
    wholeWords: number;
    unknownWords: number;
    pieces: number;
    fragmented: CoverageWordRow[];
    unknown: CoverageWordRow[];
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** The most characters CoverageReportRequest's `text` may hold. */
export const MAX_COVERAGE_TEXT = 10_000_000;
