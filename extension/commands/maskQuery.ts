/**
 * What "Fill Mask at Cursor" asks the model: the paragraph around the cursor, with the target as a mask token.
 * The target is the mask token under the cursor, else the word under the cursor (to find alternatives), else an
 * insertion point. Pure: unit-tested without VS Code.
 */

export interface MaskQuery {
  /** Text sent to mlm/fillMask. */
  text: string;
  /** [start, end) UTF-16 offsets of the target mask inside `text`. */
  maskOffset: [number, number];
  /** What the chosen token replaces in the document: line and [start, end) characters. */
  replace: { line: number; start: number; end: number };
  kind: 'mask' | 'word' | 'insert';
}

/** Lines of context taken on each side of the cursor's line (the paragraph stops earlier at a blank line). */
const MAX_CONTEXT_LINES = 10;

/** Finds the target on `line` at `character`. */
export function locateTarget(
  lineText: string,
  character: number,
  maskToken: string,
): { kind: MaskQuery['kind']; start: number; end: number } {
  for (let i = lineText.indexOf(maskToken); i >= 0; i = lineText.indexOf(maskToken, i + 1)) {
    if (character >= i && character <= i + maskToken.length)
      return { kind: 'mask', start: i, end: i + maskToken.length };
  }
  const word = /[\p{L}\p{N}_'’-]+/gu;
  for (let m = word.exec(lineText); m; m = word.exec(lineText)) {
    if (character >= m.index && character <= m.index + m[0].length) {
      return { kind: 'word', start: m.index, end: m.index + m[0].length };
    }
  }
  return { kind: 'insert', start: character, end: character };
}

/** Builds the query for the cursor at (line, character) of a document given as lines. */
export function buildMaskQuery(
  lines: readonly string[],
  line: number,
  character: number,
  maskToken: string,
): MaskQuery {
  const target = locateTarget(lines[line] ?? '', character, maskToken);
  let first = line;
  while (first > 0 && line - first < MAX_CONTEXT_LINES && lines[first - 1].trim() !== '') first--;
  let last = line;
  while (last < lines.length - 1 && last - line < MAX_CONTEXT_LINES && lines[last + 1].trim() !== '') last++;
  const before = lines
    .slice(first, line)
    .map((l) => `${l}\n`)
    .join('');
  const current = lines[line] ?? '';
  const after = lines
    .slice(line + 1, last + 1)
    .map((l) => `\n${l}`)
    .join('');
  const pad = target.kind === 'insert' ? padInsert(current, target.start) : { left: '', right: '' };
  const lineText = `${current.slice(0, target.start)}${pad.left}${maskToken}${pad.right}${current.slice(target.end)}`;
  const start = before.length + target.start + pad.left.length;
  return {
    text: `${before}${lineText}${after}`,
    maskOffset: [start, start + maskToken.length],
    replace: { line, start: target.start, end: target.end },
    kind: target.kind,
  };
}

/** Spaces so that an inserted mask is a word of its own. */
function padInsert(text: string, at: number): { left: string; right: string } {
  const left = at > 0 && !/\s/.test(text[at - 1]) ? ' ' : '';
  const right = at < text.length && !/\s/.test(text[at]) ? ' ' : '';
  return { left, right };
}

/** Text to insert for a predicted token: WordPiece continuations ("##ing") attach to the previous word. */
export function insertionText(token: string, kind: MaskQuery['kind'], lineText: string, at: number): string {
  if (token.startsWith('##')) return token.slice(2);
  if (kind !== 'insert') return token;
  const left = at > 0 && !/\s/.test(lineText[at - 1]) ? ' ' : '';
  const right = at < lineText.length && !/\s/.test(lineText[at]) ? ' ' : '';
  return `${left}${token}${right}`;
}
