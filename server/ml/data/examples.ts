/**
 * Turns documents into fixed-length training examples of token ids:
 * - `chunk` (default): the documents' tokens are concatenated (a [SEP] between documents) and cut into
 *   pieces of seqLen - 2, each wrapped as [CLS] … [SEP]; the last piece is padded.
 * - `line`: one example per non-empty line, [CLS] … [SEP] then padding; a line longer than seqLen - 2
 *   tokens continues in further examples instead of being truncated.
 */
import type { ExampleMode } from '../../../protocol/shared/choices';
import type { Tokenizer } from '../types';

export interface Example {
  /** [seqLen] token ids, padded with [PAD]. */
  ids: Int32Array;
  /** Number of real (non-padding) tokens, including [CLS] and [SEP]. */
  length: number;
  /** [seqLen] 1 where a token starts a word (used by whole-word masking); 0 for continuations and specials. */
  wordStart: Uint8Array;
}

export interface ExampleOptions {
  seqLen: number;
  mode: ExampleMode;
}

/** Token ids of one text (no special tokens) with word-start flags, encoded line by line. */
export interface TokenStream {
  ids: number[];
  wordStart: number[];
}

export function tokenizeText(tokenizer: Tokenizer, text: string): TokenStream[] {
  const lines: TokenStream[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const enc = tokenizer.encode(line, { addSpecialTokens: false });
    const wordStart = enc.wordIds.map((w, i) =>
      w !== null && (i === 0 || enc.wordIds[i - 1] !== w) ? 1 : 0,
    );
    lines.push({ ids: enc.ids, wordStart });
  }
  return lines;
}

/** Incrementally builds examples from texts so the corpus never needs to be held as one token array. */
export class ExampleBuilder {
  readonly examples: Example[] = [];
  private buf: number[] = [];
  private bufStart: number[] = [];
  private docs = 0;
  /** Real tokens (excluding padding) in all examples. */
  tokens = 0;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly opts: ExampleOptions,
  ) {
    if (opts.seqLen < 3)
      throw new Error(`data.seqLen must be >= 3 to hold [CLS] x [SEP], got ${opts.seqLen}`);
  }

  private get body(): number {
    return this.opts.seqLen - 2;
  }

  addText(text: string): void {
    const lines = tokenizeText(this.tokenizer, text);
    if (this.opts.mode === 'line') {
      for (const l of lines) {
        for (let i = 0; i < l.ids.length; i += this.body) {
          this.emit(l.ids.slice(i, i + this.body), l.wordStart.slice(i, i + this.body));
        }
      }
      return;
    }
    if (!lines.length) return;
    if (this.docs > 0) {
      this.buf.push(this.tokenizer.special.sep);
      this.bufStart.push(0);
    }
    this.docs++;
    for (const l of lines) {
      for (let i = 0; i < l.ids.length; i++) {
        this.buf.push(l.ids[i]);
        this.bufStart.push(l.wordStart[i]);
      }
      while (this.buf.length >= this.body) {
        this.emit(this.buf.splice(0, this.body), this.bufStart.splice(0, this.body));
      }
    }
  }

  /** Emits the last, padded chunk (chunk mode). Call once after the last text. */
  finish(): Example[] {
    if (this.buf.length) this.emit(this.buf, this.bufStart);
    this.buf = [];
    this.bufStart = [];
    return this.examples;
  }

  private emit(body: number[], starts: number[]): void {
    const { seqLen } = this.opts;
    const { cls, sep, pad } = this.tokenizer.special;
    const ids = new Int32Array(seqLen).fill(pad);
    const wordStart = new Uint8Array(seqLen);
    ids[0] = cls;
    for (let i = 0; i < body.length; i++) {
      ids[i + 1] = body[i];
      wordStart[i + 1] = starts[i];
    }
    // A piece that starts mid-word still needs a word start for whole-word masking.
    if (body.length && body[0] !== sep && !starts[0]) wordStart[1] = 1;
    ids[body.length + 1] = sep;
    this.examples.push({ ids, length: body.length + 2, wordStart });
    this.tokens += body.length + 2;
  }
}

/** Builds examples from a list of texts in one call. */
export function buildExamples(
  tokenizer: Tokenizer,
  texts: Iterable<string>,
  opts: ExampleOptions,
): Example[] {
  const b = new ExampleBuilder(tokenizer, opts);
  for (const t of texts) b.addText(t);
  return b.finish();
}
