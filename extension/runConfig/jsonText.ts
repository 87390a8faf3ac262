/**
 * Editing the text of a `*.mlm.json` in place (the run-config form's writes): jsonc-parser's `modify` changes one
 * value and leaves every other byte alone, so comments, unknown keys, key order and formatting survive. Pure (no
 * `vscode`): the form editor turns the result into one WorkspaceEdit, so undo/redo and dirty state are VS Code's.
 */
import {
  applyEdits,
  createScanner,
  findNodeAtLocation,
  format,
  modify,
  parseTree,
  type FormattingOptions,
} from 'jsonc-parser';
export { readJsonText, type ReadResult } from '../../protocol/jsonc';

/** A JSON path: property names and array indices. */
export type JsonPath = Array<string | number>;

/** One replacement in the text: `length` characters at `offset` become `content`. */
export interface TextReplacement {
  offset: number;
  length: number;
  content: string;
}

/** Indentation as the text already has it (the first indented line), else two spaces; the text's line ends. */
export function formattingOf(text: string): FormattingOptions {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const tabs = indent.startsWith('\t');
  return {
    insertSpaces: !tabs,
    tabSize: tabs ? 4 : indent.length,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

/** The text with `value` at `path` (undefined removes the key). An empty text becomes an object. */
export function withValue(text: string, path: JsonPath, value: unknown): string {
  if (value === undefined) return withoutKey(text, path);
  const base = text.trim() === '' ? '{}\n' : text;
  // Unformatted, then only the inserted text formatted: `modify`'s own formatting also reflows the rest of the line
  // the edit starts on (an unknown key's one-line array, say).
  const edits = modify(base, path, value, {});
  const out = applyEdits(base, edits);
  if (edits.length !== 1) return out;
  const { offset, content } = edits[0];
  const inside = format(out, { offset, length: content.length }, formattingOf(base)).filter(
    (e) => e.offset >= offset && e.offset + e.length <= offset + content.length,
  );
  return applyEdits(out, inside);
}

/**
 * The text without the property at `path`: its key and value and one comma go, every comment stays (jsonc-parser's
 * own removal also takes the comments between it and its neighbour), and a line left blank goes too.
 */
export function withoutKey(text: string, path: JsonPath): string {
  const value = findNodeAtLocation(parseTree(text, [], { allowTrailingComma: true }) ?? ({} as never), path);
  const prop = value?.parent;
  const siblings = prop?.parent?.children;
  if (!prop || prop.type !== 'property' || !siblings) return text;
  const i = siblings.indexOf(prop);
  const end = prop.offset + prop.length;
  const cut = (s: string, [a, b]: [number, number]) => s.slice(0, a) + s.slice(b);
  if (i < siblings.length - 1)
    return cut(text, widenToBlankLine(text, prop.offset, commaAfter(text, end) ?? end));
  const before = i > 0 ? siblings[i - 1] : undefined;
  const comma = before ? commaAfter(text, before.offset + before.length) : undefined;
  const out = cut(text, widenToBlankLine(text, prop.offset, end));
  return comma === undefined ? out : cut(out, [comma - 1, comma]);
}

/** The offset just past the comma that follows `offset` (across whitespace and comments), if there is one. */
function commaAfter(text: string, offset: number): number | undefined {
  const scanner = createScanner(text, true);
  scanner.setPosition(offset);
  scanner.scan();
  const at = scanner.getTokenOffset();
  return text.charAt(at) === ',' && scanner.getTokenLength() === 1 ? at + 1 : undefined;
}

/** [from, to) grown to its whole line when nothing else is left on it; else to the spaces after it. */
function widenToBlankLine(text: string, from: number, to: number): [number, number] {
  const lineStart = text.lastIndexOf('\n', from - 1) + 1;
  let lineEnd = text.indexOf('\n', to);
  if (lineEnd < 0) lineEnd = text.length;
  const blank = (s: string) => /^[ \t\r]*$/.test(s);
  if (blank(text.slice(lineStart, from)) && blank(text.slice(to, lineEnd)))
    return [lineStart, Math.min(lineEnd + 1, text.length)];
  let end = to;
  while (text[end] === ' ' || text[end] === '\t') end++;
  return [from, end];
}

/** The text with every leaf of `patch` (a partial config) set, one `modify` each; arrays are leaves. */
export function withValues(text: string, patch: unknown, at: JsonPath = []): string {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return withValue(text, at, patch);
  let out = text;
  for (const [k, v] of Object.entries(patch)) out = withValues(out, v, [...at, k]);
  return out;
}

/** The one replacement that turns `before` into `after` (their common start and end kept). */
export function replacementBetween(before: string, after: string): TextReplacement | undefined {
  if (before === after) return undefined;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  )
    end++;
  return {
    offset: start,
    length: before.length - start - end,
    content: after.slice(start, after.length - end),
  };
}
