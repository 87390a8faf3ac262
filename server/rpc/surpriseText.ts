/**
 * The passages the surprise lens scores (pure): paragraphs (text between blank lines), a paragraph longer than
 * maxChars cut into runs of whole sentences (a sentence longer than that at a space). A passage is the model's whole
 * context for its words, and the unit of the lens's cache: an edit re-scores only the passages whose text changed.
 */

export interface Passage {
  /** Where it starts in the document. */
  start: number;
  text: string;
}

/** Characters per passage: a few sentences — enough context, and a bounded cost for re-scoring one after an edit. */
export const PASSAGE_CHARS = 300;

/** The passages of `text` that overlap any of `ranges` ([start, end) offsets; default the whole text). */
export function surprisePassages(
  text: string,
  ranges: Array<[number, number]> = [[0, text.length]],
  maxChars = PASSAGE_CHARS,
): Passage[] {
  const out: Passage[] = [];
  const overlaps = (s: number, e: number): boolean => ranges.some(([a, b]) => s < b && e > a);
  const blank = /\n[ \t]*\n/g;
  let start = 0;
  const paragraphs: Array<[number, number]> = [];
  for (let m = blank.exec(text); m; m = blank.exec(text)) {
    paragraphs.push([start, m.index]);
    start = m.index + m[0].length;
  }
  paragraphs.push([start, text.length]);
  for (const [ps, pe] of paragraphs) {
    if (!overlaps(ps, pe) || !/\S/.test(text.slice(ps, pe))) continue;
    for (const [s, e] of split(text, ps, pe, maxChars)) {
      if (overlaps(s, e)) out.push({ start: s, text: text.slice(s, e) });
    }
  }
  return out;
}

/** [s, e) cut into pieces of at most maxChars: whole sentences packed together, a long sentence cut at a space. */
function split(text: string, s: number, e: number, maxChars: number): Array<[number, number]> {
  if (e - s <= maxChars) return [[s, e]];
  const sentences: Array<[number, number]> = [];
  const end = /[.!?。！？]+["'”’)\]]*\s+|\n/g;
  end.lastIndex = s;
  let from = s;
  for (let m = end.exec(text); m && m.index < e; m = end.exec(text)) {
    const to = Math.min(e, m.index + m[0].length);
    sentences.push([from, to]);
    from = to;
  }
  if (from < e) sentences.push([from, e]);
  const out: Array<[number, number]> = [];
  let cur: [number, number] | undefined;
  for (const [a, b] of sentences.flatMap(([a, b]) => cutLong(text, a, b, maxChars))) {
    if (cur && b - cur[0] <= maxChars) cur[1] = b;
    else {
      if (cur) out.push(cur);
      cur = [a, b];
    }
  }
  if (cur) out.push(cur);
  return out;
}

function cutLong(text: string, a: number, b: number, maxChars: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  while (b - a > maxChars) {
    const space = text.lastIndexOf(' ', a + maxChars);
    const cut = space > a ? space + 1 : a + maxChars;
    out.push([a, cut]);
    a = cut;
  }
  out.push([a, b]);
  return out;
}
