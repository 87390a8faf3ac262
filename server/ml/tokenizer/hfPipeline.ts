/**
 * The tokenizer.json side of HfTokenizer (hfTokenizer.ts): what the library's pipeline stages look like, what a
 * config says (byte-level, Metaspace, lowercasing, the [CLS]/[SEP]-like wrap tokens), GPT-2's byte table, and the
 * string helpers the stage-by-stage encoder uses to split on added tokens and find a section's tokens.
 */
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stages of the library's pipeline (public fields of its Tokenizer; callable objects). */
export interface Stages {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options?: { section_index?: number }) => string[]) | null;
  model: ((words: string[]) => string[]) & { unk_token?: string; unk_token_id?: number };
  post_processor: ((tokens: string[], pair: null, addSpecial: boolean) => { tokens: string[] }) | null;
}

export interface Added {
  id: number;
  content: string;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** What a word-level unit of a token is compared on: byte-level BPE compares bytes, the others code points. */
export type Units = (s: string) => number[];

/** GPT-2's byte ↔ printable-character table, inverted: the character a byte-level token spells → its byte. */
export function byteLevelDecoder(): Map<number, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map = new Map<number, number>();
  for (const b of bs) map.set(b, b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) map.set(256 + n++, b);
  return map;
}

export const utf8 = new TextEncoder();
export const isSpaceCp = (cp: number): boolean =>
  cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x2581 || /\s/u.test(String.fromCodePoint(cp));
export const isSpaceByte = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

export function usesByteLevel(cfg: unknown): boolean {
  if (!isObject(cfg)) return false;
  if (cfg.type === 'ByteLevel') return true;
  const list = cfg.pretokenizers ?? cfg.decoders ?? cfg.processors;
  return Array.isArray(list) && list.some(usesByteLevel);
}

/** The Metaspace pre-tokeniser's replacement character when it splits words at it ("▁"), else undefined. */
export function metaspaceSplit(cfg: unknown): string | undefined {
  if (!isObject(cfg)) return undefined;
  if (cfg.type === 'Metaspace')
    return cfg.split === false ? undefined : typeof cfg.replacement === 'string' ? cfg.replacement : '▁';
  return Array.isArray(cfg.pretokenizers) ? cfg.pretokenizers.map(metaspaceSplit).find(Boolean) : undefined;
}

export function usesLowercase(cfg: unknown): boolean {
  if (!isObject(cfg)) return false;
  if (cfg.type === 'Lowercase' || (cfg.type === 'BertNormalizer' && cfg.lowercase !== false)) return true;
  return Array.isArray(cfg.normalizers) && cfg.normalizers.some(usesLowercase);
}

/** The [CLS]-like and [SEP]-like tokens the post-processor wraps a single sequence in. */
export function wrapTokens(pp: unknown): { cls?: string; sep?: string } {
  if (!isObject(pp)) return {};
  if (Array.isArray(pp.cls) && Array.isArray(pp.sep))
    return { cls: String(pp.cls[0]), sep: String(pp.sep[0]) };
  if (Array.isArray(pp.single)) {
    const specials = (pp.single as unknown[])
      .map((p) => (isObject(p) && isObject(p.SpecialToken) ? String(p.SpecialToken.id) : undefined))
      .filter((s): s is string => s !== undefined);
    return { cls: specials[0], sep: specials.at(-1) };
  }
  if (Array.isArray(pp.processors)) {
    for (const p of pp.processors) {
      const w = wrapTokens(p);
      if (w.cls || w.sep) return w;
    }
  }
  return {};
}

export function alternation(contents: string[]): RegExp | undefined {
  const list = contents.filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
  return list.length
    ? new RegExp(list.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
    : undefined;
}

export function splitOn(text: string, re: RegExp | undefined): string[] {
  if (!re) return [text];
  const out: string[] = [];
  let pos = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > pos) out.push(text.slice(pos, m.index));
    out.push(m[0]);
    pos = m.index + m[0].length;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

/** Where `inner` starts inside `outer` (the post-processor adds tokens around it); 0 when not found. */
export function findRun(outer: string[], inner: string[]): number {
  if (inner.length === 0) return outer.length;
  for (let i = 0; i + inner.length <= outer.length; i++) {
    let ok = true;
    for (let j = 0; j < inner.length && ok; j++) ok = outer[i + j] === inner[j];
    if (ok) return i;
  }
  return 0;
}

/**
 * [start, end) in `text` of each token of the section text[from, to): the tokens' units (bytes for byte-level
 * BPE, code points otherwise; spaces and the "▁" marker skipped) are matched in order against the units of the
 * section's characters, each character normalised on its own. A token whose units do not all match (an unknown
 * token, a normalisation that is not character by character, e.g. NFKC composing "e" + U+0301) extends to the
 * character before the next token's first match.
 */
export interface AlignOptions {
  normalizer: Stages['normalizer'];
  byteLevel: boolean;
  /** A prefix the model puts on word-continuing pieces ("##"), stripped before matching; '' for none. */
  stripPrefix: string;
  units: Units;
  /** Added tokens and the unknown token: matched to no characters of their own. */
  isSpecial: (piece: string) => boolean;
}

export function alignSection(
  text: string,
  from: number,
  to: number,
  pieces: string[],
  o: AlignOptions,
): Array<[number, number]> {
  const atomUnit: number[] = [];
  const atomStart: number[] = [];
  const atomEnd: number[] = [];
  const norm = o.normalizer;
  for (let i = from; i < to;) {
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const ch = text.slice(i, i + len);
    const n = norm ? norm(ch) : ch;
    const units = o.byteLevel ? Array.from(utf8.encode(n)) : Array.from(n, (c) => c.codePointAt(0)!);
    for (const u of units) {
      if (o.byteLevel ? isSpaceByte(u) : isSpaceCp(u)) continue;
      atomUnit.push(u);
      atomStart.push(i);
      atomEnd.push(i + len);
    }
    i += len;
  }
  const spans: Array<[number, number]> = [];
  const unresolved: number[] = []; // tokens that end where the next match starts
  let p = 0;
  const here = (): number => (p < atomUnit.length ? atomStart[p] : to);
  /** Unresolved tokens end with the last character before atom q (the next token's first match). */
  const settle = (q: number): void => {
    const until = q > 0 ? atomEnd[q - 1] : from;
    for (const k of unresolved) spans[k] = [spans[k][0], Math.max(spans[k][0], until)];
    unresolved.length = 0;
  };
  pieces.forEach((piece, k) => {
    let surface = piece;
    if (o.stripPrefix && surface.startsWith(o.stripPrefix)) surface = surface.slice(o.stripPrefix.length);
    const units = o.units(surface).filter((u) => !(o.byteLevel ? isSpaceByte(u) : isSpaceCp(u)));
    const special = o.isSpecial(piece);
    let start = -1;
    let end = -1;
    let complete = !special;
    if (!special) {
      for (const u of units) {
        let q = p;
        while (q < atomUnit.length && q < p + 64 && atomUnit[q] !== u) q++;
        if (q >= atomUnit.length || atomUnit[q] !== u) {
          complete = false;
          break;
        }
        if (start < 0) {
          start = atomStart[q];
          settle(q);
        }
        end = atomEnd[q];
        p = q + 1;
      }
    }
    spans[k] = [start >= 0 ? start : here(), start >= 0 ? end : here()];
    if (!complete && units.length > 0) unresolved.push(k);
  });
  settle(atomUnit.length);
  return spans;
}
