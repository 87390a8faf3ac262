/**
 * Character classes of BERT normalisation and pre-tokenisation, exactly as Hugging Face `tokenizers` defines them
 * (BertNormalizer / BertPreTokenizer). Lookups are O(1) for the BMP through a flag table and a binary search above.
 */
import { NONSPACING_MARK_RANGES, PUNCTUATION_RANGES, REMOVED_RANGES } from './unicodeTables';

const REMOVED = 1;
const WHITESPACE = 2;
const PUNCTUATION = 4;
const CJK = 8;
const MARK = 16;

/** Rust `char::is_whitespace` (Unicode White_Space) — what HF uses for cleaning and for the whitespace split. */
const WHITESPACE_RANGES = [
  0x9, 0xd, 0x20, 0x20, 0x85, 0x85, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f,
  0x202f, 0x205f, 0x205f, 0x3000, 0x3000,
];

/** CJK Unified Ideographs blocks as in BERT's `_is_chinese_char` (not Hangul, Hiragana or Katakana). */
const CJK_RANGES = [
  0x3400, 0x4dbf, 0x4e00, 0x9fff, 0xf900, 0xfaff, 0x20000, 0x2a6df, 0x2a700, 0x2b73f, 0x2b740, 0x2b81f,
  0x2b920, 0x2ceaf, 0x2f800, 0x2fa1f,
];

const bmp = new Uint8Array(0x10000);
for (const [flag, ranges] of [
  [REMOVED, REMOVED_RANGES],
  [WHITESPACE, WHITESPACE_RANGES],
  [PUNCTUATION, PUNCTUATION_RANGES],
  [CJK, CJK_RANGES],
  [MARK, NONSPACING_MARK_RANGES],
] as const) {
  for (let i = 0; i < ranges.length; i += 2) {
    for (let cp = ranges[i]; cp <= Math.min(ranges[i + 1], 0xffff); cp++) bmp[cp] |= flag;
  }
}

function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Deleted by clean_text: NUL, U+FFFD and control/format/private-use characters other than \t \n \r. */
export function isRemoved(cp: number): boolean {
  return cp < 0x10000 ? (bmp[cp] & REMOVED) !== 0 : inRanges(REMOVED_RANGES, cp);
}
export function isWhitespace(cp: number): boolean {
  return cp < 0x10000 && (bmp[cp] & WHITESPACE) !== 0;
}
/** ASCII punctuation (incl. $ + < = > ^ ` | ~) or a Unicode punctuation character. */
export function isPunctuation(cp: number): boolean {
  return cp < 0x10000 ? (bmp[cp] & PUNCTUATION) !== 0 : inRanges(PUNCTUATION_RANGES, cp);
}
export function isCjk(cp: number): boolean {
  return cp < 0x10000 ? (bmp[cp] & CJK) !== 0 : inRanges(CJK_RANGES, cp);
}
/** A nonspacing mark (Mn), dropped by accent stripping after NFD. */
export function isNonspacingMark(cp: number): boolean {
  return cp < 0x10000 ? (bmp[cp] & MARK) !== 0 : inRanges(NONSPACING_MARK_RANGES, cp);
}
