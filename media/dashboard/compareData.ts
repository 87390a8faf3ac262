/**
 * Compare Runs (pure; unit-tested): the compared runs' final metrics and every setting of their saved configs as
 * rows of values side by side, the settings whose values differ marked.
 */
import type { RunDetailsRequest } from '../../protocol/training';

export interface CompareRow {
  key: string;
  /** One value per run, in run order ("—" where a run has none). */
  values: string[];
  /** The runs do not all have the same value. */
  differs: boolean;
}

const fmt = (v: number | undefined, digits = 4): string =>
  v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(digits)).toString();

/** The outcome and final metrics of each run. */
export function metricRows(runs: RunDetailsRequest.Result[]): CompareRow[] {
  const rows: Array<[string, (d: RunDetailsRequest.Result) => string]> = [
    ['status', (d) => d.run.status ?? '—'],
    ['steps', (d) => (d.run.step === undefined ? '—' : String(d.run.step))],
    ['best validation loss', (d) => fmt(d.run.bestEvalLoss)],
    [
      'best validation accuracy',
      (d) => (d.run.bestEvalAccuracy === undefined ? '—' : `${fmt(d.run.bestEvalAccuracy * 100, 3)}%`),
    ],
    ['last training loss', (d) => fmt(d.run.lastLoss)],
    ['checkpoints', (d) => String(d.checkpoints.length)],
  ];
  return rows.map(([key, get]) => row(key, runs.map(get)));
}

/** Every setting of the runs' saved configs (dotted paths, in first-seen order); a run without one shows "—". */
export function settingRows(runs: RunDetailsRequest.Result[]): CompareRow[] {
  const flat = runs.map((d) => flatten(d.config ?? {}, ''));
  const keys: string[] = [];
  for (const f of flat) for (const k of f.keys()) if (!keys.includes(k)) keys.push(k);
  return keys.map((k) =>
    row(
      k,
      flat.map((f) => f.get(k) ?? '—'),
    ),
  );
}

function row(key: string, values: string[]): CompareRow {
  return { key, values, differs: values.some((v) => v !== values[0]) };
}

function flatten(v: unknown, prefix: string, out = new Map<string, string>()): Map<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, v === null ? 'null' : typeof v === 'string' ? v : JSON.stringify(v));
  return out;
}
