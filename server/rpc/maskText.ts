/**
 * Finding mask tokens in a document and cutting the text the model sees around one (pure functions).
 * Offsets are UTF-16 code units, like LSP positions and JavaScript strings.
 */

/** [start, end) of every occurrence of maskToken in text, in order. */
export function findMasks(text: string, maskToken: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!maskToken) return out;
  for (let i = text.indexOf(maskToken); i !== -1; i = text.indexOf(maskToken, i + maskToken.length)) {
    out.push([i, i + maskToken.length]);
  }
  return out;
}

/** The mask whose span contains offset (the end position counts, so a cursor right after "]" hits). */
export function maskAt(text: string, offset: number, maskToken: string): [number, number] | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd === -1) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  for (const [s, e] of findMasks(line, maskToken)) {
    if (offset >= lineStart + s && offset <= lineStart + e) return [lineStart + s, lineStart + e];
  }
  return undefined;
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
