/**
 * Deterministic train/validation split by document: each document's place depends only on its id and
 * the seed, so adding a file never moves the others. At least one document is held out when there are
 * two or more documents and the split is > 0.
 */
import { hashString, mixSeed } from './rng';

export interface DocumentSplit<T> {
  train: T[];
  validation: T[];
}

export function splitDocuments<T extends { id: string }>(
  docs: readonly T[],
  validationSplit: number,
  seed: number,
): DocumentSplit<T> {
  if (validationSplit <= 0 || docs.length < 2) return { train: [...docs], validation: [] };
  // Rank documents by a seeded hash of their id; the lowest-ranked fraction is the validation split.
  const ranked = docs
    .map((d, i) => ({ d, i, h: mixSeed(hashString(d.id), seed) }))
    .sort((a, b) => a.h - b.h || a.i - b.i);
  const nVal = Math.min(docs.length - 1, Math.max(1, Math.round(docs.length * validationSplit)));
  const valIdx = new Set(ranked.slice(0, nVal).map((r) => r.i));
  const train: T[] = [];
  const validation: T[] = [];
  docs.forEach((d, i) => (valIdx.has(i) ? validation : train).push(d));
  return { train, validation };
}
