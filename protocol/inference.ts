/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Fill-mask inference and choosing the model it uses. Hovers use standard `textDocument/hover`; their command
 * links invoke the client-side command REPLACE_MASK_COMMAND.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { MaskPrediction } from './shared/fillMask';

export interface MaskResult {
  /** [start, end) UTF-16 offsets of this mask in the request text. */
  offset: [number, number];
  predictions: MaskPrediction[];
}

/** Client → backend (playground, Fill Mask at Cursor): the top-k tokens for every mask token in `text`. */
export namespace FillMaskRequest {
  export const method = 'mlm/fillMask' as const;
  export interface Params {
    text: string;
    /** 1..50, default 5. */
    topK?: number;
    /** Only score these tokens (each must be in the vocabulary). */
    targets?: string[];
  }
  export interface Result {
    /** One entry per mask, in text order. */
    masks: MaskResult[];
    /** The checkpoint the answer came from. */
    model: { dir: string; runId?: string; step?: number };
    /** Milliseconds spent in the model. */
    elapsedMs: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client → backend (Load Checkpoint): use this checkpoint (or run directory: its best, else newest) for fill-mask. */
export namespace LoadCheckpointRequest {
  export const method = 'mlm/loadCheckpoint' as const;
  export interface Params {
    /** A checkpoints/step-N directory or a run directory; absolute or relative to the workspace root. */
    path: string;
  }
  export interface Result {
    dir: string;
    runId?: string;
    step?: number;
    arch?: string;
    vocabSize?: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** The client command a hover row links to; the extension registers it and edits the document. */
export const REPLACE_MASK_COMMAND = 'mlm.replaceMask';

/** Arguments of REPLACE_MASK_COMMAND (a single object; LSP positions are 0-based, UTF-16). */
export interface ReplaceMaskArgs {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  token: string;
}

/** Text of the hover shown when no model is loaded (the backend returns it, so every client gets the same). */
export const NO_MODEL_HOVER = 'No model: run **MLM: Train MLM** or **MLM: Load Checkpoint**.';
