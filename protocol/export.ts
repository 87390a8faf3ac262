/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/** Exporting a run as a Hugging Face folder (MLM: Export to Hugging Face…, the same as `mlm export`). */
import { RequestType } from 'vscode-jsonrpc';

/**
 * Client → backend: write run `runId`'s best (else newest) checkpoint as a Hugging Face folder at `out` — a
 * pretraining run as BertForMaskedLM, a fine-tune run as BertForSequenceClassification / BertForTokenClassification
 * — with its tokenizer files and a model card.
 */
export namespace ExportRunRequest {
  export const method = 'mlm/exportRun' as const;
  export interface Params {
    /** A run id of mlm/runs. */
    runId: string;
    /** The folder to write: absolute, or relative to the workspace (inside the backend's served roots). */
    out: string;
    /** Overwrite the exported files in a non-empty folder (other files there are left alone). */
    force?: boolean;
  }
  export interface Result {
    outDir: string;
    files: string[];
    step?: number;
    /** What transformers class loads it. */
    loadWith: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}
