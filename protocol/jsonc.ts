/**
 * Reading JSON with comments (`*.mlm.json` run configs): one reader for the run-config form (extension) and the
 * backend's and CLI's config loader (server/app/runConfigFile.ts), so a config the form keeps comments in also trains.
 */
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** The value a text holds (comments and trailing commas allowed), or why it cannot be read. */
export type ReadResult = { ok: true; value: unknown } | { ok: false; error: string };

/** The text's value; an empty (or all-blank) text is `{}`. Errors say what is wrong and at which line and column. */
export function readJsonText(text: string): ReadResult {
  if (text.trim() === '') return { ok: true, value: {} };
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length === 0) return { ok: true, value };
  const e = errors[0];
  const before = text.slice(0, e.offset).split('\n');
  return {
    ok: false,
    error: `${printParseErrorCode(e.error)} at line ${before.length}, column ${before[before.length - 1].length + 1}`,
  };
}
