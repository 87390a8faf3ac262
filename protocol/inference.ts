/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Fill-mask inference and choosing the model it uses. Hovers use standard `textDocument/hover`; their command
 * links invoke the client-side command REPLACE_MASK_COMMAND.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { JointCompletion, MaskPrediction } from './shared/fillMask';

export interface MaskResult {
  /** [start, end) UTF-16 offsets of this mask in the request text. */
  offset: [number, number];
  predictions: MaskPrediction[];
}

/** A place in a document as LSP gives it: 0-based line, UTF-16 character. */
export interface TextPosition {
  line: number;
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

/** The most whole-sentence completions a request may ask for (`beam`). */
export const MAX_FILL_BEAM = 16;

/**
 * Client → backend (the dashboard's playground, tools): the top-k tokens for every mask token in `text`, and for
 * several masks the best completions of the whole text, found jointly.
 */
export namespace FillMaskRequest {
  export const method = 'mlm/fillMask' as const;
  export interface Params {
    text: string;
    /** 1..50, default 5. */
    topK?: number;
    /**
     * Only score these words: a vocabulary token by its probability, a word of several word pieces by the product of
     * its pieces' probabilities (each predicted with the ones before it filled in).
     */
    targets?: string[];
    /** Whole-sentence completions kept and returned when the text has several masks: 0..MAX_FILL_BEAM, default 5. */
    beam?: number;
  }
  export interface Result {
    /** One entry per mask, in text order: that mask's own candidates (the other masks still masked). */
    masks: MaskResult[];
    /** Two or more masks: the best completions of the whole text, highest pseudo-log-likelihood first. */
    joint?: JointCompletion[];
    /** Why `joint` is absent although the text has several masks (more than 8 masks, masks too far apart, …). */
    jointNote?: string;
    /** The checkpoint the answer came from. */
    model: { dir: string; runId?: string; step?: number };
    /** Milliseconds spent in the model. */
    elapsedMs: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/**
 * Client → backend (Fill Mask at Cursor): the predictions for the target at a cursor — the mask token there, else
 * the word there (its alternatives), else a new word at that point. The backend cuts the text window around the
 * target exactly as for a hover, so a mask gets the hover's answer, and says for each prediction the edit that puts
 * it in the document (a WordPiece continuation "##s" joins the word before it, an inserted word gets spaces).
 */
export namespace FillMaskAtRequest {
  export const method = 'mlm/fillMaskAt' as const;
  export interface Params {
    /** The document: its uri, and its whole text as the editor has it now. */
    textDocument: { uri: string };
    text: string;
    position: TextPosition;
    /** 1..50; default the `mlm.hover.topK` setting, as for hovers. */
    topK?: number;
  }
  export interface Result {
    /** What the predictions replace: a mask token, a word, or an empty range at an insertion point. */
    target: { kind: 'mask' | 'word' | 'insert'; range: TextRange };
    /** Best first; `edit` replaces `range` of the document with `text`. */
    predictions: Array<MaskPrediction & { edit: { range: TextRange; text: string } }>;
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

/**
 * Arguments of REPLACE_MASK_COMMAND (a single object): write `token` over `range`, which holds the mask token and,
 * for a WordPiece continuation, the spaces before it (the same edit mlm/fillMaskAt returns).
 */
export interface ReplaceMaskArgs {
  uri: string;
  range: TextRange;
  token: string;
  /** A joint completion's "fill all": the other masks' edits, applied with this one as one edit. */
  also?: Array<{ range: TextRange; token: string }>;
}

/**
 * First words of the hover shown instead of predictions when the model did not answer within
 * `mlm.inference.deadlineSeconds` (MlmErrorCodes.Busy) or its worker was restarted (InferenceRestarted); the reason
 * follows.
 */
export const MODEL_BUSY_HOVER = '**Model busy**';

/** Text of the hover shown when no model is loaded (the backend returns it, so every client gets the same). */
export const NO_MODEL_HOVER =
  'No model: run **MLM: Use a Hugging Face Model…** (e.g. google-bert/bert-base-uncased), **MLM: Train MLM** or ' +
  '**MLM: Load Checkpoint**.';
