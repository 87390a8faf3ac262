/**
 * A run's metric rows as CSV (the dashboard's "Export CSV" and `mlm export-metrics --format csv`): the required
 * fields (split, step, epoch, time in ms since the run started, loss), then every column of METRIC_COLUMNS that
 * occurs in some row, in that order. A missing or null value is an empty cell; NaN and ±Infinity are written as
 * such (a diverged loss stays visible). Fields are quoted as RFC 4180 says (a comma, quote, CR or LF inside).
 */
import { METRIC_COLUMNS, type MetricRecord } from './metrics';

const REQUIRED = ['split', 'step', 'epoch', 'time', 'loss'] as const;

/** The CSV columns for `rows`: the required fields, then the METRIC_COLUMNS present in any row. */
export function metricsCsvColumns(rows: readonly MetricRecord[]): string[] {
  const present = Object.keys(METRIC_COLUMNS).filter((k) =>
    rows.some((r) => typeof (r as unknown as Record<string, unknown>)[k] === 'number'),
  );
  return [...REQUIRED, ...present];
}

/** One CSV field, quoted when it holds a comma, a double quote, CR or LF (quotes doubled). */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows as CSV text: a header line, one line per row, CRLF line ends (RFC 4180). */
export function metricsToCsv(rows: readonly MetricRecord[]): string {
  const columns = metricsCsvColumns(rows);
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) {
    const rec = r as unknown as Record<string, unknown>;
    lines.push(columns.map((c) => csvField(rec[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
