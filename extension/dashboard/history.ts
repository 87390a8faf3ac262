/** Reads a run's metrics.jsonl from disk for the dashboard's history replay. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isMetricRecord, type MetricRecord } from '../../protocol/shared/metrics';

/** Parses metrics.jsonl text: valid rows in order; blank, truncated (a write in progress) or invalid lines skipped. */
export function parseMetricsJsonl(text: string): { records: MetricRecord[]; skipped: number } {
  const records: MetricRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const row: unknown = JSON.parse(line);
      if (isMetricRecord(row)) records.push(row);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

/** Merges live rows into disk rows: one row per (split, step), live rows win; sorted by step. */
export function mergeRecords(disk: readonly MetricRecord[], live: readonly MetricRecord[]): MetricRecord[] {
  const byKey = new Map<string, MetricRecord>();
  for (const r of disk) byKey.set(`${r.split}:${r.step}`, r);
  for (const r of live) byKey.set(`${r.split}:${r.step}`, r);
  return [...byKey.values()].sort((a, b) => a.step - b.step || (a.split < b.split ? 1 : -1));
}

/** The rows of <runDir>/metrics.jsonl; empty when the file does not exist yet. */
export async function readRunMetrics(runDir: string): Promise<{ records: MetricRecord[]; skipped: number }> {
  try {
    return parseMetricsJsonl(await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw err;
  }
}

/** Run directories under <root>/.mlm/runs, newest first by name (used when the backend is not running). */
export async function listRunDirs(workspaceRoot: string): Promise<Array<{ runId: string; dir: string }>> {
  const runs = path.join(workspaceRoot, '.mlm', 'runs');
  try {
    const entries = await fs.readdir(runs, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => ({ runId: e.name, dir: path.join(runs, e.name) }))
      .sort((a, b) => b.runId.localeCompare(a.runId));
  } catch {
    return [];
  }
}
