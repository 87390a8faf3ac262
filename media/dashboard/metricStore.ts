/** The metric rows per run that the charts draw, deduplicated by (split, step). Pure: no DOM. */
import type { MetricRecord } from '../../protocol/shared/metrics';

/** Points kept per run and split; older points are thinned (every other one) beyond this. */
export const MAX_POINTS = 5000;

export interface RunSeries {
  train: MetricRecord[];
  eval: MetricRecord[];
}

export class MetricStore {
  readonly runs = new Map<string, RunSeries>();

  /** Replaces a run's rows (history from disk). */
  set(runId: string, records: readonly MetricRecord[]): void {
    this.runs.set(runId, { train: [], eval: [] });
    this.add(runId, records);
  }

  /** Adds live rows; a row with the same split and step replaces the old one (a resumed run re-logs steps). */
  add(runId: string, records: readonly MetricRecord[]): void {
    const run = this.runs.get(runId) ?? { train: [], eval: [] };
    for (const r of records) {
      const list = run[r.split];
      const last = list[list.length - 1];
      if (!last || r.step > last.step) list.push(r);
      else {
        const i = list.findIndex((x) => x.step >= r.step);
        if (list[i].step === r.step) list[i] = r;
        else list.splice(i, 0, r);
      }
    }
    run.train = thin(run.train);
    run.eval = thin(run.eval);
    this.runs.set(runId, run);
  }

  /** The newest row of a run that has `key`. */
  latest<K extends keyof MetricRecord>(
    runId: string,
    key: K,
    split: 'train' | 'eval' = 'train',
  ): MetricRecord | undefined {
    const list = this.runs.get(runId)?.[split] ?? [];
    for (let i = list.length - 1; i >= 0; i--)
      if (list[i][key] !== undefined && list[i][key] !== null) return list[i];
    return undefined;
  }
}

function thin(list: MetricRecord[]): MetricRecord[] {
  if (list.length <= MAX_POINTS) return list;
  // Keep the newest half at full resolution; thin the older half.
  const cut = list.length - Math.floor(MAX_POINTS / 2);
  return [...list.slice(0, cut).filter((_, i) => i % 2 === 0), ...list.slice(cut)];
}

export type NumericMetric = Exclude<keyof MetricRecord, 'split'>;

export interface SeriesSpec {
  runId: string;
  split: 'train' | 'eval';
  metric: NumericMetric;
}

/** uPlot's aligned data: one x array (steps) and one y array per spec, null where that series has no point. */
export interface AlignedData {
  x: number[];
  ys: Array<Array<number | null>>;
}

/**
 * Aligns the given series on the union of their steps. Train series are smoothed by `smoothing` (EMA, computed
 * on the series' own points before alignment); eval series are drawn raw.
 */
export function alignSeries(
  store: MetricStore,
  specs: readonly SeriesSpec[],
  smoothing: number,
  smoothFn: (v: ReadonlyArray<number | null>, w: number) => Array<number | null>,
): AlignedData {
  const steps = new Set<number>();
  const perSpec = specs.map((s) => {
    const rows = (store.runs.get(s.runId)?.[s.split] ?? []).filter((r) => typeof r[s.metric] === 'number');
    const raw = rows.map((r) => r[s.metric] as number);
    const values = s.split === 'train' ? smoothFn(raw, smoothing) : raw;
    const byStep = new Map<number, number | null>();
    rows.forEach((r, i) => {
      steps.add(r.step);
      const v = values[i];
      byStep.set(r.step, v === null || Number.isFinite(v) ? v : null);
    });
    return byStep;
  });
  const x = [...steps].sort((a, b) => a - b);
  return { x, ys: perSpec.map((m) => x.map((step) => (m.has(step) ? (m.get(step) ?? null) : null))) };
}
