/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Using a fine-tuned (task) model: load it, and predict labels for texts or a whole file. A fine-tune run itself is
 * an `mlm/train` whose run config has a `task` section (protocol/training.ts); its checkpoints load here as they are
 * saved, like a pretraining run's do for fill-mask.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { TaskModelInfo, TaskPrediction } from './shared/taskPrediction';

/** Client → backend (Load Task Model, Fine-tune's end): use this fine-tune run, checkpoint or HF task folder. */
export namespace LoadTaskModelRequest {
  export const method = 'mlm/loadTaskModel' as const;
  export interface Params {
    /** A fine-tune run folder (its best, else newest checkpoint), one of its checkpoints, or a Hugging Face
     * BertForSequenceClassification / BertForTokenClassification folder; absolute or relative to the workspace. */
    path: string;
  }
  export type Result = TaskModelInfo;
  export const type = new RequestType<Params, Result, void>(method);
}

/** One input of mlm/predict: a text, or a text pair for a pair classifier. */
export type PredictInput = string | { text: string; textPair?: string };

/**
 * Client → backend (Classify Selection, the selection hover, Predict File): the task model's predictions. Give
 * exactly one of `texts` (answered in the result) or `file` (one input per non-empty line; .jsonl: one
 * {"text", "text_pair"?} object per line), whose predictions are written as JSON Lines next to it
 * (`<name>.predictions.jsonl`, one object per input with its 1-based `line`). With a `workDoneToken` a file's
 * progress comes as `$/progress` (begin, report with percentage, end); cancelling the request stops between batches
 * and leaves no partial output.
 */
export namespace PredictRequest {
  export const method = 'mlm/predict' as const;
  export interface Params {
    texts?: PredictInput[];
    /** Absolute, or relative to the workspace root. */
    file?: string;
    /** A task model to load first (as mlm/loadTaskModel); default the one loaded. */
    model?: string;
    /** LSP work-done progress token (a file's progress). */
    workDoneToken?: string | number;
  }
  export interface Result {
    model: TaskModelInfo;
    /** With `texts`: one per input, in order. */
    predictions?: TaskPrediction[];
    /** With `file`: where the predictions went and what they say. */
    file?: {
      input: string;
      output: string;
      /** Inputs predicted (= lines written). */
      count: number;
      /** How many inputs got each label (classification, multilabel) or entity type (token). */
      labelCounts: Record<string, number>;
      /** Inputs cut to the model's max length. */
      truncated: number;
    };
    /** Milliseconds spent, reading and writing included. */
    elapsedMs: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** The most texts one mlm/predict with `texts` may carry (a file has no limit: it goes in batches). */
export const MAX_PREDICT_TEXTS = 1000;
