/**
 * The dashboard's "Export CSV…": a run's whole metric history, fetched from the backend over mlm/runMetrics (the
 * extension reads nothing under the runs folder; the backend may be remote), as CSV (protocol/shared/metricsCsv.ts),
 * saved where the user picks in a save dialog.
 */
import * as vscode from 'vscode';
import type { RunMetricsRequest } from '../../protocol/training';
import { csvFileName, runMetricsCsv } from './history';

/** Asks where to save, writes the CSV there and says so; false when the user cancelled. */
export async function exportRunCsv(
  send: (p: RunMetricsRequest.Params) => Promise<RunMetricsRequest.Result>,
  runId: string,
): Promise<boolean> {
  let result: { csv: string; rows: number };
  try {
    result = await runMetricsCsv(send, runId);
  } catch (err) {
    void vscode.window.showErrorMessage(
      `Cannot export the metrics of ${runId}: the backend's mlm/runMetrics failed (${(err as Error).message}). Is the backend running (MLM: Show Backend Logs)?`,
    );
    return false;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = await vscode.window.showSaveDialog({
    title: `Export the metrics of ${runId} as CSV`,
    defaultUri: folder ? vscode.Uri.joinPath(folder, csvFileName(runId)) : undefined,
    filters: { CSV: ['csv'] },
    saveLabel: 'Export',
  });
  if (!uri) return false;
  try {
    await vscode.workspace.fs.writeFile(uri, Buffer.from(result.csv, 'utf8'));
  } catch (err) {
    void vscode.window.showErrorMessage(
      `Cannot write ${uri.fsPath}: ${(err as Error).message}; pick another folder`,
    );
    return false;
  }
  void vscode.window.showInformationMessage(
    `Exported ${result.rows} metric rows of ${runId} to ${uri.fsPath}`,
  );
  return true;
}
