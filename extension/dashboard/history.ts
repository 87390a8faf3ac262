/**
 * A run's metric history for the dashboard's replay, fetched page by page over mlm/runMetrics (the backend may be on
 * another machine: the extension reads nothing under the runs folder), merged with the live rows received since.
 */
import type { MetricRecord } from '../../protocol/shared/metrics';
import { metricsToCsv } from '../../protocol/shared/metricsCsv';
import type { RunMetricsRequest } from '../../protocol/training';

/** Merges live rows into fetched rows: one row per (split, step), live rows win; sorted by step. */
export function mergeRecords(disk: readonly MetricRecord[], live: readonly MetricRecord[]): MetricRecord[] {
  const byKey = new Map<string, MetricRecord>();
  for (const r of disk) byKey.set(`${r.split}:${r.step}`, r);
  for (const r of live) byKey.set(`${r.split}:${r.step}`, r);
  return [...byKey.values()].sort((a, b) => a.step - b.step || (a.split < b.split ? 1 : -1));
}

/**
 * The newest `maxRecords` rows of a run with step ≥ fromStep, in file order, through as many mlm/runMetrics pages as
 * it takes (`send` sends one request). A run that grows meanwhile is read up to where the last page ended.
 */
export async function fetchRunMetrics(
  send: (p: RunMetricsRequest.Params) => Promise<RunMetricsRequest.Result>,
  runId: string,
  maxRecords: number,
  fromStep = 0,
): Promise<MetricRecord[]> {
  const first = await send({ runId, fromStep });
  if (first.nextOffset === undefined) return first.records.slice(-maxRecords);
  let rows: MetricRecord[] = first.records;
  let offset: number | undefined = first.nextOffset;
  if (first.total > maxRecords) {
    // Only the newest rows are shown: skip to them.
    rows = [];
    offset = first.total - maxRecords;
  }
  while (offset !== undefined) {
    const page = await send({ runId, fromStep, offset });
    rows = rows.concat(page.records);
    offset = page.nextOffset;
  }
  return rows.slice(-maxRecords);
}

/** Every metric row of `runId` as CSV text, and how many rows. */
export async function runMetricsCsv(
  send: (p: RunMetricsRequest.Params) => Promise<RunMetricsRequest.Result>,
  runId: string,
): Promise<{ csv: string; rows: number }> {
  const rows = await fetchRunMetrics(send, runId, Number.POSITIVE_INFINITY);
  return { csv: metricsToCsv(rows), rows: rows.length };
}

/** A file name for the run's CSV: its id with anything unsafe in a file name replaced. */
export const csvFileName = (runId: string): string => `${runId.replace(/[^\w.-]+/g, '_')}-metrics.csv`;
