/**
 * Mask tokens in a document, the text window the model sees around one, and where a prediction goes (pure
 * functions). The hover and Fill Mask at Cursor (mlm/fillMaskAt) both use them, so the same mask always gets the
 * same window — and the same answer. Offsets are UTF-16 code units, like LSP positions and JavaScript strings.
 */
import { continuationText } from '../../protocol/shared/wordpiece';
import type { TextRange } from '../../protocol/inference';
import type { ServerSettings } from '../../protocol/settings';

/** [start, end) of every occurrence of maskToken in text, in order. */
export function findMasks(text: string, maskToken: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!maskToken) return out;
  for (let i = text.indexOf(maskToken); i !== -1; i = text.indexOf(maskToken, i + maskToken.length)) {
    out.push([i, i + maskToken.length]);
  }
  return out;
}

/** [start, end) of the line that holds offset (without its "\n"). */
function lineAround(text: string, offset: number): [number, number] {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return [start, end === -1 ? text.length : end];
}

/** The mask whose span contains offset (the end position counts, so a cursor right after "]" hits). */
export function maskAt(text: string, offset: number, maskToken: string): [number, number] | undefined {
  const [lineStart, lineEnd] = lineAround(text, offset);
  const t = locateTarget(text.slice(lineStart, lineEnd), offset - lineStart, maskToken);
  return t.kind === 'mask' ? [lineStart + t.start, lineStart + t.end] : undefined;
}

/** What a fill at a cursor predicts: the mask token there, else the word (its alternatives), else a new word. */
export type FillTargetKind = 'mask' | 'word' | 'insert';

/** Finds the target on `lineText` at `character` (a position at either end of a mask or word counts). */
export function locateTarget(
  lineText: string,
  character: number,
  maskToken: string,
): { kind: FillTargetKind; start: number; end: number } {
  for (const [start, end] of findMasks(lineText, maskToken)) {
    if (character >= start && character <= end) return { kind: 'mask', start, end };
  }
  const word = /[\p{L}\p{N}_'’-]+/gu;
  for (let m = word.exec(lineText); m; m = word.exec(lineText)) {
    if (character >= m.index && character <= m.index + m[0].length) {
      return { kind: 'word', start: m.index, end: m.index + m[0].length };
    }
  }
  return { kind: 'insert', start: character, end: character };
}

export interface MaskContext {
  /** The text given to the model: the paragraph around the mask, at most maxChars. */
  text: string;
  /** Where `text` starts in the document. */
  start: number;
  /** [start, end) of the hovered mask inside `text`. */
  mask: [number, number];
}

/**
 * The paragraph (text between blank lines) that holds the mask, so every mask of the sentence is predicted
 * jointly; cut to maxChars centred on the mask when the paragraph is long.
 */
export function maskContext(text: string, mask: [number, number], maxChars = 2000): MaskContext {
  const blank = /\n[ \t]*\n/g;
  let start = 0;
  for (let m = blank.exec(text); m && m.index < mask[0]; m = blank.exec(text)) start = m.index + m[0].length;
  const blankAfter = text.slice(mask[1]).search(/\n[ \t]*\n/);
  let end = blankAfter === -1 ? text.length : mask[1] + blankAfter;
  if (end - start > maxChars) {
    const half = Math.floor((maxChars - (mask[1] - mask[0])) / 2);
    start = Math.max(start, mask[0] - half);
    end = Math.min(end, start + maxChars);
    start = Math.max(0, Math.min(start, end - maxChars));
  }
  return { text: text.slice(start, end), start, mask: [mask[0] - start, mask[1] - start] };
}

/** Spaces/tabs right before offset that follow a word character on the same line (0 at a line start). */
export function gapBeforeMask(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  return i > 0 && text[i - 1] !== '\n' ? offset - i : 0;
}

/** Spaces written around an inserted word so that it stands alone. */
export interface InsertPad {
  left: string;
  right: string;
}

const NO_PAD: InsertPad = { left: '', right: '' };

/** The spaces an insertion at `at` needs on each side so that the inserted word is a word of its own. */
export function padInsert(text: string, at: number): InsertPad {
  const left = at > 0 && !/\s/.test(text[at - 1]) ? ' ' : '';
  const right = at < text.length && !/\s/.test(text[at]) ? ' ' : '';
  return { left, right };
}

/** What mlm/fillMaskAt asks the model for a cursor in a document. */
export interface FillQuery {
  kind: FillTargetKind;
  /** [start, end) of the target in the document (empty at an insertion point). */
  target: [number, number];
  /** Spaces around an inserted whole word (insertion points only). */
  pad: InsertPad;
  /** The window the model sees, with the target as a mask token: for a mask, exactly the hover's window. */
  window: MaskContext;
}

/**
 * The query for the cursor at `offset`: a mask is predicted in the document as it is (the hover's window); a word
 * or an insertion point first becomes a mask token (an inserted one padded to stand alone), then the window is cut
 * around it the same way.
 */
export function fillQuery(text: string, offset: number, maskToken: string, maxChars?: number): FillQuery {
  const [lineStart, lineEnd] = lineAround(text, offset);
  const t = locateTarget(text.slice(lineStart, lineEnd), offset - lineStart, maskToken);
  const target: [number, number] = [lineStart + t.start, lineStart + t.end];
  if (t.kind === 'mask')
    return { kind: t.kind, target, pad: NO_PAD, window: maskContext(text, target, maxChars) };
  const pad = t.kind === 'insert' ? padInsert(text, target[0]) : NO_PAD;
  const masked = `${text.slice(0, target[0])}${pad.left}${maskToken}${pad.right}${text.slice(target[1])}`;
  const at = target[0] + pad.left.length;
  return { kind: t.kind, target, pad, window: maskContext(masked, [at, at + maskToken.length], maxChars) };
}

/**
 * Where a prediction goes and what is written there: a whole token replaces the target (an inserted one with its
 * padding); a WordPiece continuation ("##e", protocol/shared/wordpiece.ts) is glued to the word before it, so its
 * range also covers the spaces between that word and the target (`gapBefore` of them).
 */
export function replacementFor(
  token: string,
  range: TextRange,
  gapBefore: number,
  pad: InsertPad = NO_PAD,
): { token: string; range: TextRange } {
  const piece = continuationText(token);
  if (piece === undefined) return { token: `${pad.left}${token}${pad.right}`, range };
  if (gapBefore === 0) return { token: piece, range };
  const start = { line: range.start.line, character: range.start.character - gapBefore };
  return { token: piece, range: { start, end: range.end } };
}

/**
 * The fill-mask request of a hover (and of Fill Mask at Cursor, which must ask the very same to share its cache
 * entry) for a window text: the hover settings' rows, joint completions, targets and mask token.
 */
export function hoverFillParams(
  text: string,
  s: ServerSettings['hover'],
): { text: string; topK: number; beam: number; targets?: string[]; maskToken: string } {
  return {
    text,
    topK: s.topK,
    beam: s.jointCompletions,
    ...(s.targets.length ? { targets: s.targets } : {}),
    maskToken: s.maskToken,
  };
}
