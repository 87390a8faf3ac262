/**
 * The inputs of a file to predict on (`mlm predict --file`, mlm/predict with a file): one text per non-empty line,
 * or for .jsonl / .ndjson one {"text": …, "text_pair"?: …} object per line. Each keeps its 1-based line number.
 */
import * as path from 'node:path';

export interface PredictFileInput {
  text: string;
  textPair?: string;
  /** 1-based line of the file. */
  line: number;
}

/** Parses a file's text; throws an Error naming file:line for a line that is not a usable JSON object. */
export function parsePredictInputs(raw: string, file: string): PredictFileInput[] {
  const jsonl = ['.jsonl', '.ndjson'].includes(path.extname(file).toLowerCase());
  const out: PredictFileInput[] = [];
  for (const [i, line] of raw.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    if (!jsonl) {
      out.push({ text: line, line: i + 1 });
      continue;
    }
    let o: { text?: unknown; text_pair?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof o?.text !== 'string') throw new Error(`${file}:${i + 1}: no "text" string`);
    out.push({
      text: o.text,
      ...(typeof o.text_pair === 'string' ? { textPair: o.text_pair } : {}),
      line: i + 1,
    });
  }
  if (!out.length) throw new Error(`${file} has no input lines: put one text per line`);
  return out;
}
