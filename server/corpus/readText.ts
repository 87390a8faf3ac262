/**
 * The index's TextReader: the corpus reader's own decoding rules (readFileAsText: size cap, binary, BOM, strict
 * UTF-8, CRLF), keeping only the counts. Symbolic links are not followed (so a link loop or a second path to the
 * same file is not counted twice).
 */
import { promises as fs } from 'node:fs';
import { readFileAsText } from '../ml/corpus';
import type { TextReadResult } from './corpusIndex';

export async function readTextStats(file: string, maxBytes: number): Promise<TextReadResult> {
  try {
    if ((await fs.lstat(file)).isSymbolicLink()) return { ok: false, reason: 'symlink' };
  } catch {
    return { ok: false, reason: 'vanished' };
  }
  const r = await readFileAsText(file, maxBytes);
  if ('skip' in r) return { ok: false, reason: r.skip };
  return { ok: true, chars: r.text.length, bytes: r.bytes };
}
