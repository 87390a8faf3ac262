/**
 * Vocabulary coverage of a corpus: how many word occurrences stay whole, the mean number of pieces per word, and
 * the most frequent words that split into 3+ pieces or become [UNK] — where a larger vocabulary (or more data)
 * would help.
 */
import { WordBuffer, scanWords } from './normalizer';
import type { WordPieceTokenizer } from './wordpiece';

export interface CoverageWord {
  word: string;
  count: number;
  pieces: string[];
}

export interface CoverageReport {
  /** Word occurrences (after normalisation and pre-tokenisation). */
  words: number;
  distinctWords: number;
  /** Occurrences encoded as a single piece. */
  wholeWords: number;
  /** Occurrences that became [UNK]. */
  unknownWords: number;
  /** Total pieces over all occurrences. */
  pieces: number;
  /** Most frequent words that split into 3 or more pieces (at most `top`). */
  fragmented: CoverageWord[];
  /** Most frequent words that became [UNK] (at most `top`). */
  unknown: CoverageWord[];
}

export async function coverageReport(
  tokenizer: WordPieceTokenizer,
  texts: AsyncIterable<string> | Iterable<string>,
  opts: { top?: number } = {},
): Promise<CoverageReport> {
  const top = opts.top ?? 20;
  const counts = new Map<string, number>();
  const buf = new WordBuffer(Math.max(256, tokenizer.config.maxInputCharsPerWord + 1));
  const onWord = (b: WordBuffer): void => {
    const w = b.length > b.capacity ? `${b.text()}…` : b.text();
    counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  for await (const text of texts) scanWords(text, 0, text.length, tokenizer.normalizer, buf, onWord);

  const r: CoverageReport = {
    words: 0,
    distinctWords: counts.size,
    wholeWords: 0,
    unknownWords: 0,
    pieces: 0,
    fragmented: [],
    unknown: [],
  };
  const unk = tokenizer.special.unk;
  for (const [word, count] of counts) {
    const ids = word.length > tokenizer.config.maxInputCharsPerWord ? [unk] : tokenizer.wordPieces(word);
    r.words += count;
    r.pieces += ids.length * count;
    const entry = (): CoverageWord => ({ word, count, pieces: ids.map((id) => tokenizer.idToToken(id)) });
    if (ids.length === 1 && ids[0] === unk) {
      r.unknownWords += count;
      r.unknown.push(entry());
    } else if (ids.length === 1) {
      r.wholeWords += count;
    } else if (ids.length >= 3) {
      r.fragmented.push(entry());
    }
  }
  const byCount = (a: CoverageWord, b: CoverageWord): number =>
    b.count - a.count || (a.word < b.word ? -1 : 1);
  r.fragmented = r.fragmented.sort(byCount).slice(0, top);
  r.unknown = r.unknown.sort(byCount).slice(0, top);
  return r;
}

const pct = (n: number, d: number): string => (d ? `${((100 * n) / d).toFixed(1)} %` : 'n/a');

export function formatCoverageReport(r: CoverageReport): string {
  const lines = [
    `words: ${r.words} (${r.distinctWords} distinct)`,
    `kept whole: ${pct(r.wholeWords, r.words)}`,
    `mean pieces per word: ${r.words ? (r.pieces / r.words).toFixed(3) : 'n/a'}`,
    `[UNK]: ${pct(r.unknownWords, r.words)} of words`,
  ];
  if (r.fragmented.length) {
    lines.push('', 'most frequent words split into 3+ pieces:');
    for (const w of r.fragmented)
      lines.push(`  ${String(w.count).padStart(8)}  ${w.word}  →  ${w.pieces.join(' ')}`);
  }
  if (r.unknown.length) {
    lines.push('', 'most frequent words that become [UNK]:');
    for (const w of r.unknown) lines.push(`  ${String(w.count).padStart(8)}  ${JSON.stringify(w.word)}`);
  }
  return lines.join('\n');
}
