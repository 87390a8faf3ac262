/**
 * Fill-mask answers kept per model generation (pure, unit-tested). A hover's entry is keyed by the document (uri,
 * version), where its text window starts, the window text, topK, targets and the mask token; an `mlm/fillMask`
 * entry by the same without a document. The text is part of every key, so an entry can only ever answer the very
 * input it was computed for. Entries of an older model generation are dropped as soon as a newer one is seen;
 * a document's entries go when it changes or closes; beyond `capacity` the least recently used entry goes.
 */

/** Texts longer than this are not cached (an mlm/fillMask may be 100,000 characters; a hover window is ≤ 2,000). */
export const MAX_CACHED_TEXT = 20_000;

export interface FillCacheKey {
  /** The document a hover was computed for; absent for mlm/fillMask. */
  doc?: { uri: string; version: number; start: number };
  text: string;
  topK: number;
  targets?: string[];
  /** Joint completions asked for (absent: the default). */
  beam?: number;
  maskToken: string;
}

export function fillCacheKey(k: FillCacheKey): string {
  const doc = k.doc ? [k.doc.uri, k.doc.version, k.doc.start] : null;
  return JSON.stringify([doc, k.maskToken, k.topK, k.targets ?? null, k.beam ?? null, k.text]);
}

export interface FillCacheStats {
  hits: number;
  misses: number;
  size: number;
}

export class FillMaskCache<V> {
  /** Insertion order is recency order: the first key is the least recently used. */
  private readonly entries = new Map<string, { uri?: string; value: V }>();
  private generation = -1;
  private hits = 0;
  private misses = 0;

  constructor(readonly capacity = 256) {}

  get stats(): FillCacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size };
  }

  /** The entry for key computed by model `generation` (the current one); an older generation's entries are dropped. */
  get(key: FillCacheKey, generation: number): V | undefined {
    this.adopt(generation);
    const k = fillCacheKey(key);
    const e = generation === this.generation ? this.entries.get(k) : undefined;
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(k);
    this.entries.set(k, e);
    return e.value;
  }

  /** Stores an answer computed by model `generation`; ignored when a newer generation has been seen already. */
  set(key: FillCacheKey, generation: number, value: V): void {
    if (generation < this.generation || key.text.length > MAX_CACHED_TEXT) return;
    this.adopt(generation);
    const k = fillCacheKey(key);
    this.entries.delete(k);
    this.entries.set(k, { uri: key.doc?.uri, value });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Drops every entry of the document (it changed or closed); returns how many. */
  forgetDocument(uri: string): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.uri === uri) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.entries.clear();
  }

  private adopt(generation: number): void {
    if (generation === this.generation) return;
    if (generation > this.generation) this.entries.clear();
    this.generation = Math.max(this.generation, generation);
  }
}
