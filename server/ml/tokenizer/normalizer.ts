/**
 * BERT normalisation + pre-tokenisation in one pass, as Hugging Face's BertNormalizer followed by BertPreTokenizer:
 *   1. clean text: drop NUL, U+FFFD and control/format characters; every whitespace character becomes a space;
 *   2. CJK ideographs become words of their own;
 *   3. strip accents (NFD, nonspacing marks dropped), then lowercase — char by char, like HF (so "Σ" → "σ" always);
 *   4. split on whitespace (removed) and punctuation (each punctuation character is a word).
 * Words come out as code points with, per code point, the [start, end) UTF-16 range of the original character it
 * came from, so that tokens map back to the user's text.
 */
import { isCjk, isNonspacingMark, isPunctuation, isRemoved, isWhitespace } from './charClass';

export interface NormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

/** A reusable buffer holding the current word. Only the first `capacity` code points are stored. */
export class WordBuffer {
  cps: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Number of code points in the word (may exceed capacity: then only the first `capacity` are stored). */
  length = 0;
  /** End offset (UTF-16, original text) of the last code point. */
  lastEnd = 0;

  constructor(readonly capacity = 256) {
    this.cps = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  push(cp: number, start: number, end: number): void {
    const n = this.length;
    if (n < this.capacity) {
      this.cps[n] = cp;
      this.starts[n] = start;
      this.ends[n] = end;
    }
    this.length = n + 1;
    this.lastEnd = end;
  }

  /** The stored code points [from, to) as a string. */
  text(from = 0, to = Math.min(this.length, this.capacity)): string {
    let bmp = true;
    for (let i = from; i < to; i++) if (this.cps[i] > 0xffff) bmp = false;
    if (bmp) return String.fromCharCode.apply(null, this.cps.subarray(from, to) as unknown as number[]);
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCodePoint(this.cps[i]);
    return s;
  }
}

const EMPTY = new Int32Array(0);

/** Per-code-point result of accent stripping + lowercasing for non-ASCII characters (memoised). */
class CharTransform {
  private readonly bmp: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(0x10000);
  private readonly astral = new Map<number, Int32Array>();
  constructor(
    private readonly stripAccents: boolean,
    private readonly lowercase: boolean,
  ) {}

  get(cp: number): Int32Array {
    let out = cp < 0x10000 ? this.bmp[cp] : this.astral.get(cp);
    if (out === undefined) {
      out = this.compute(cp);
      if (cp < 0x10000) this.bmp[cp] = out;
      else this.astral.set(cp, out);
    }
    return out;
  }

  private compute(cp: number): Int32Array {
    let s = String.fromCodePoint(cp);
    if (this.stripAccents) {
      let kept = '';
      for (const ch of s.normalize('NFD')) if (!isNonspacingMark(ch.codePointAt(0)!)) kept += ch;
      s = kept;
    }
    if (this.lowercase) {
      let lower = '';
      for (const ch of s) lower += ch.toLowerCase();
      s = lower;
    }
    if (s.length === 0) return EMPTY;
    return Int32Array.from(s, (ch) => ch.codePointAt(0)!);
  }
}

const transforms = new Map<string, CharTransform>();
function transformFor(opts: NormalizerOptions): CharTransform {
  const key = `${opts.stripAccents ? 1 : 0}${opts.lowercase ? 1 : 0}`;
  let t = transforms.get(key);
  if (!t) {
    t = new CharTransform(opts.stripAccents, opts.lowercase);
    transforms.set(key, t);
  }
  return t;
}

/**
 * Normalises text[from, to) and calls onWord(buf) for each pre-tokenized word, in order. The buffer is reused:
 * consume it inside the callback.
 */
export function scanWords(
  text: string,
  from: number,
  to: number,
  opts: NormalizerOptions,
  buf: WordBuffer,
  onWord: (buf: WordBuffer) => void,
): void {
  const transform = transformFor(opts);
  const { cleanText, handleChineseChars, lowercase } = opts;
  const plain = !opts.stripAccents && !lowercase;
  const flush = (): void => {
    if (buf.length) {
      onWord(buf);
      buf.length = 0;
    }
  };
  buf.length = 0;
  let i = from;
  while (i < to) {
    let cp = text.charCodeAt(i);
    let size = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < to) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
        size = 2;
      }
    }
    // An unpaired surrogate reaches Hugging Face (Rust strings) as U+FFFD: treat it the same.
    if (size === 1 && cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    const start = i;
    i += size;
    if (cleanText && isRemoved(cp)) continue;
    if (cp < 0x80) {
      // ASCII fast path: no accents; only whitespace, punctuation and case matter.
      if (isWhitespace(cp)) {
        flush();
      } else if (isPunctuation(cp)) {
        flush();
        buf.push(cp, start, i);
        flush();
      } else {
        buf.push(lowercase && cp >= 65 && cp <= 90 ? cp + 32 : cp, start, i);
      }
      continue;
    }
    if (isWhitespace(cp)) {
      flush();
      continue;
    }
    const cjk = handleChineseChars && isCjk(cp);
    if (cjk) flush();
    if (plain) {
      emit(cp, start, i, buf, flush);
    } else {
      const out = transform.get(cp);
      for (let k = 0; k < out.length; k++) emit(out[k], start, i, buf, flush);
    }
    if (cjk) flush();
  }
  flush();
}

/** Adds one normalised code point to the current word, splitting on whitespace and punctuation. */
function emit(cp: number, start: number, end: number, buf: WordBuffer, flush: () => void): void {
  if (isWhitespace(cp)) {
    flush();
  } else if (isPunctuation(cp)) {
    flush();
    buf.push(cp, start, end);
    flush();
  } else {
    buf.push(cp, start, end);
  }
}

/** The normalised words of a text as strings (for training and reports). */
export function splitWords(text: string, opts: NormalizerOptions): string[] {
  const words: string[] = [];
  const buf = new WordBuffer();
  scanWords(text, 0, text.length, opts, buf, (b) => words.push(b.text()));
  return words;
}
