/**
 * The label set of a task (saved with the model as id2label) and the held-out split.
 *   labelSet: every label of every split in one stable order (numbers numerically, then strings by code point; for
 *     token classification "O" first), so the same data gives the same ids whatever the row order.
 *   checkLabels: rows whose label the model does not know (eval data of a trained model) become bad rows.
 *   stratifiedSplit: a seeded held-out split that keeps each label's share (default 10 %).
 */
import { hashString, mixSeed, permutation, SeededRng } from '../data/rng';
import { isTokenExample, type BadRow, type LabelledExample, type TaskKind } from './types';

/** The labels an example carries (tags for token examples; none for regression). */
export function labelsOf(e: LabelledExample): string[] {
  return isTokenExample(e) ? e.tags : e.labels;
}

function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const numA = a.trim() !== '' && Number.isFinite(na);
  const numB = b.trim() !== '' && Number.isFinite(nb);
  if (numA && numB) return na - nb || (a < b ? -1 : a > b ? 1 : 0);
  if (numA !== numB) return numA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every label of the given example lists, in the stable order described above. */
export function labelSet(task: TaskKind, ...splits: ReadonlyArray<readonly LabelledExample[]>): string[] {
  const seen = new Set<string>();
  for (const s of splits) for (const e of s) for (const l of labelsOf(e)) seen.add(l);
  const sorted = [...seen].sort(compareLabels);
  if (task === 'token' && seen.has('O')) return ['O', ...sorted.filter((l) => l !== 'O')];
  return sorted;
}

/** Splits off the examples with a label outside `labels` as bad rows ("unknown label"). */
export function checkLabels<T extends LabelledExample>(
  examples: readonly T[],
  labels: readonly string[],
): { kept: T[]; bad: BadRow[] } {
  const known = new Set(labels);
  const kept: T[] = [];
  const bad: BadRow[] = [];
  for (const e of examples) {
    const unknown = labelsOf(e).filter((l) => !known.has(l));
    if (unknown.length) {
      bad.push({
        where: e.where,
        reason: `unknown label ${[...new Set(unknown)].map((u) => `"${u}"`).join(', ')} (the model knows ${labels.length}: ${labels.slice(0, 8).join(', ')}${labels.length > 8 ? ', …' : ''})`,
      });
    } else {
      kept.push(e);
    }
  }
  return { kept, bad };
}

/**
 * The stratification key of an example: its label (classification), its sorted label set (multilabel), its most
 * frequent non-"O" tag (token) or nothing (regression: a plain seeded split).
 */
function stratum(task: TaskKind, e: LabelledExample): string {
  if (task === 'classification') return labelsOf(e)[0] ?? '';
  if (task === 'multilabel') return [...labelsOf(e)].sort().join('\u0000');
  if (task === 'token') {
    const counts = new Map<string, number>();
    for (const t of labelsOf(e))
      if (t !== 'O') counts.set(t.replace(/^[BIES]-/, ''), (counts.get(t.replace(/^[BIES]-/, '')) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
  }
  return '';
}

/**
 * Holds out `fraction` of the examples, seeded, per stratum: each stratum gives round(size × fraction) of its
 * examples (strata with one example stay in training), and when rounding leaves the total short of
 * round(n × fraction) the largest remainders give one more. Both lists keep the input order.
 */
export function stratifiedSplit<T extends LabelledExample>(
  task: TaskKind,
  examples: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; eval: T[] } {
  if (fraction <= 0 || examples.length < 2) return { train: [...examples], eval: [] };
  const groups = new Map<string, number[]>();
  examples.forEach((e, i) => {
    const k = stratum(task, e);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const keys = [...groups.keys()].sort();
  const want = Math.min(examples.length - 1, Math.max(1, Math.round(examples.length * fraction)));
  const take = new Map<string, number>();
  let total = 0;
  const rema: Array<{ k: string; r: number }> = [];
  for (const k of keys) {
    const size = groups.get(k)!.length;
    const exact = size * fraction;
    const n = size > 1 ? Math.min(size - 1, Math.floor(exact)) : 0;
    take.set(k, n);
    total += n;
    if (size > 1 && n < size - 1) rema.push({ k, r: exact - n });
  }
  rema.sort((a, b) => b.r - a.r || (a.k < b.k ? -1 : 1));
  for (const { k } of rema) {
    if (total >= want) break;
    take.set(k, take.get(k)! + 1);
    total++;
  }
  const held = new Set<number>();
  for (const k of keys) {
    const idx = groups.get(k)!;
    const order = permutation(idx.length, new SeededRng(mixSeed(seed, hashString(k))));
    for (let j = 0; j < take.get(k)!; j++) held.add(idx[order[j]]);
  }
  const train: T[] = [];
  const evalSet: T[] = [];
  examples.forEach((e, i) => (held.has(i) ? evalSet : train).push(e));
  return { train, eval: evalSet };
}
