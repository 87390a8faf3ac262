/**
 * Task metrics, computed from plain arrays (no tensors), with the conventions of scikit-learn and seqeval:
 *   classification: accuracy, macro-F1 (unweighted mean over the label set), per-class precision / recall / F1 /
 *     support, confusion matrix (rows = true label, columns = predicted);
 *   multilabel: micro-F1 (pooled counts), macro-F1, per-label F1, subset (exact-match) accuracy;
 *   regression: MSE, MAE, Pearson r, Spearman ρ (ranks with ties averaged), averaged over targets;
 *   token classification: entity-level precision / recall / F1 (an entity counts when its type and its exact span
 *     match, chunks read as conlleval does), per-type F1, token accuracy.
 * A ratio whose denominator is 0 is 0 (scikit-learn's zero_division=0).
 */

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  macroF1: number;
  perClass: ClassScores[];
  /** [true][predicted] counts, in label-set order. */
  confusion: number[][];
}

export interface MultilabelMetrics {
  microF1: number;
  macroF1: number;
  /** Fraction of examples whose predicted label set equals the true one. */
  subsetAccuracy: number;
  perLabel: ClassScores[];
}

export interface RegressionMetrics {
  mse: number;
  mae: number;
  pearson: number;
  spearman: number;
}

export interface TokenMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Accuracy over labelled words (first sub-tokens). */
  tokenAccuracy: number;
  perType: ClassScores[];
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const f1Of = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

function scores(label: string, tp: number, fp: number, fn: number): ClassScores {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { label, precision, recall, f1: f1Of(precision, recall), support: tp + fn };
}

/** Single-label classification from true and predicted label ids (0 … labels.length-1). */
export function classificationMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  labels: readonly string[],
): ClassificationMetrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass = labels.map((label, c) => {
    let fp = 0;
    let fn = 0;
    for (let j = 0; j < k; j++) {
      if (j === c) continue;
      fp += confusion[j][c];
      fn += confusion[c][j];
    }
    return scores(label, confusion[c][c], fp, fn);
  });
  const macroF1 = k ? perClass.reduce((s, c) => s + c.f1, 0) / k : 0;
  return { accuracy: ratio(correct, truth.length), macroF1, perClass, confusion };
}

/** Multi-label classification from 0/1 matrices [examples][labels]. */
export function multilabelMetrics(
  truth: ReadonlyArray<ArrayLike<number>>,
  predicted: ReadonlyArray<ArrayLike<number>>,
  labels: readonly string[],
): MultilabelMetrics {
  const k = labels.length;
  const tp = new Array<number>(k).fill(0);
  const fp = new Array<number>(k).fill(0);
  const fn = new Array<number>(k).fill(0);
  let exact = 0;
  for (let i = 0; i < truth.length; i++) {
    let same = true;
    for (let j = 0; j < k; j++) {
      const t = truth[i][j] > 0;
      const p = predicted[i][j] > 0;
      if (t && p) tp[j]++;
      else if (p) fp[j]++;
      else if (t) fn[j]++;
      if (t !== p) same = false;
    }
    if (same) exact++;
  }
  const perLabel = labels.map((l, j) => scores(l, tp[j], fp[j], fn[j]));
  const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
  const micro = scores('', sum(tp), sum(fp), sum(fn));
  return {
    microF1: micro.f1,
    macroF1: k ? sum(perLabel.map((p) => p.f1)) / k : 0,
    subsetAccuracy: ratio(exact, truth.length),
    perLabel,
  };
}

/** Ranks 1…n with ties given their average rank. */
export function averageRanks(x: ArrayLike<number>): number[] {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Array<number>(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) ranks[idx[m]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson's r; 0 when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Regression from [examples][targets] values; each metric is the mean over the targets. */
export function regressionMetrics(
  truth: ReadonlyArray<ArrayLike<number>>,
  predicted: ReadonlyArray<ArrayLike<number>>,
): RegressionMetrics {
  const n = truth.length;
  const k = n ? truth[0].length : 0;
  let mse = 0;
  let mae = 0;
  let r = 0;
  let rho = 0;
  for (let j = 0; j < k; j++) {
    const t = truth.map((row) => row[j]);
    const p = predicted.map((row) => row[j]);
    for (let i = 0; i < n; i++) {
      mse += (t[i] - p[i]) ** 2 / (n * k);
      mae += Math.abs(t[i] - p[i]) / (n * k);
    }
    r += pearson(t, p) / k;
    rho += pearson(averageRanks(t), averageRanks(p)) / k;
  }
  return { mse, mae, pearson: r, spearman: rho };
}

export interface Entity {
  type: string;
  /** Word index of the first word and one past the last. */
  start: number;
  end: number;
}

function splitTag(tag: string): { prefix: string; type: string } {
  if (tag === 'O' || tag === '') return { prefix: 'O', type: '' };
  const m = /^([BIES])[-_](.+)$/.exec(tag);
  return m ? { prefix: m[1], type: m[2] } : { prefix: 'I', type: tag };
}

/** Entities of a tag sequence, chunked as conlleval / seqeval's default mode (IOB1, IOB2, IOE, IOBES). */
export function entitiesOf(tags: readonly string[]): Entity[] {
  const out: Entity[] = [];
  let start = -1;
  let prev = { prefix: 'O', type: '' };
  for (let i = 0; i <= tags.length; i++) {
    const cur = i < tags.length ? splitTag(tags[i]) : { prefix: 'O', type: '' };
    const end =
      prev.prefix === 'E' ||
      prev.prefix === 'S' ||
      (prev.prefix === 'B' && ['B', 'S', 'O'].includes(cur.prefix)) ||
      (prev.prefix === 'I' && ['B', 'S', 'O'].includes(cur.prefix)) ||
      (prev.prefix !== 'O' && prev.type !== cur.type);
    if (end && start >= 0) {
      out.push({ type: prev.type, start, end: i });
      start = -1;
    }
    const begin =
      cur.prefix === 'B' ||
      cur.prefix === 'S' ||
      (['E', 'S', 'O'].includes(prev.prefix) && ['I', 'E'].includes(cur.prefix)) ||
      (cur.prefix !== 'O' && prev.type !== cur.type);
    if (begin) start = i;
    prev = cur;
  }
  return out;
}

/** Entity-level scores over sentences of true and predicted tags (word level). */
export function tokenMetrics(
  truth: ReadonlyArray<readonly string[]>,
  predicted: ReadonlyArray<readonly string[]>,
): TokenMetrics {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const at = (t: string) => {
    let c = counts.get(t);
    if (!c) counts.set(t, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  let words = 0;
  let correct = 0;
  for (let s = 0; s < truth.length; s++) {
    for (let i = 0; i < truth[s].length; i++) {
      words++;
      if (truth[s][i] === predicted[s][i]) correct++;
    }
    const key = (e: Entity) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const t = entitiesOf(truth[s]);
    const p = entitiesOf(predicted[s]);
    const pk = new Set(p.map(key));
    const tk = new Set(t.map(key));
    for (const e of t) {
      if (pk.has(key(e))) at(e.type).tp++;
      else at(e.type).fn++;
    }
    for (const e of p) if (!tk.has(key(e))) at(e.type).fp++;
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const perType = [...counts.keys()].sort().map((type) => {
    const c = counts.get(type)!;
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
    return scores(type, c.tp, c.fp, c.fn);
  });
  const all = scores('', tp, fp, fn);
  return {
    precision: all.precision,
    recall: all.recall,
    f1: all.f1,
    tokenAccuracy: ratio(correct, words),
    perType,
  };
}
