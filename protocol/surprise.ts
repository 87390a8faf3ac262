/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * The surprise lens: how likely the model finds each word of a document, each word masked in turn. The client
 * decorates the least likely words; their hover offers the model's alternatives through REPLACE_WORD_COMMAND.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { TextRange } from './inference';

/** One scored word. */
export interface SurpriseWord {
  range: TextRange;
  word: string;
  /** P(word | the rest of its passage), in [0, 1] (a word of several pieces: the product of its pieces' chain). */
  probability: number;
  /** The model's best whole-token replacements at that place, best first. */
  alternatives: Array<{ token: string; score: number }>;
}

/**
 * Client → backend (the lens, on enable, scroll and edit): score the words of an open document within `ranges`
 * (default: all of it). The backend cuts the text into passages (a paragraph, or sentences of a long paragraph, at
 * most ~300 characters) and keeps every passage's scores per model, so after an edit only the edited passage is
 * scored again. The work goes to the inference worker in small pieces behind any hover.
 */
export namespace SurpriseRequest {
  export const method = 'mlm/surprise' as const;
  export interface Params {
    /** A document the client has opened (textDocument/didOpen); the backend scores its current text. */
    textDocument: { uri: string };
    /** The visible ranges; absent: the whole document (at most 200,000 characters are scored per request). */
    ranges?: TextRange[];
  }
  export interface Result {
    /** The document version the words belong to. */
    version: number;
    /** Every scored word in the ranges, in text order. */
    words: SurpriseWord[];
    /** Passages scored now, and passages answered from the backend's cache. */
    computed: number;
    cached: number;
    /** The checkpoint the scores came from. */
    model: { dir: string; runId?: string; step?: number };
    elapsedMs: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** The client command a surprising word's hover links to (replace the word by an alternative). */
export const REPLACE_WORD_COMMAND = 'mlm.replaceWord';

/** Arguments of REPLACE_WORD_COMMAND: write `token` over `range` if it still holds `word`. */
export interface ReplaceWordArgs {
  uri: string;
  range: TextRange;
  word: string;
  token: string;
}
