/** What the task panel reads from the metric store: a run's newest task row and the confusion matrix's row shares. Pure: no DOM. */
import type { MetricRecord } from '../../protocol/shared/metrics';
import type { MetricStore } from './metricStore';

/** The newest eval row of a run that has a confusion matrix (else per-class F1), if the run is a task run. */
export function latestTaskRow(store: MetricStore, runId: string): MetricRecord | undefined {
  const rows = store.runs.get(runId)?.eval ?? [];
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i].classes?.length) return rows[i];
  return undefined;
}

/** Per true label: its row of the matrix as shares of the row total (0 for an empty row). */
export function rowShares(confusion: readonly number[][]): number[][] {
  return confusion.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((c) => (total ? c / total : 0));
  });
}
