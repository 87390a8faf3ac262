/**
 * A cancellable progress notification for one backend request that reports through `$/progress` (a
 * `workDoneToken` in its params): the backend's messages and percentage show in the notification, and Cancel
 * cancels the request (`$/cancelRequest`), which stops the backend's work; a cancelled request resolves undefined.
 */
import * as vscode from 'vscode';
import type { CancellationToken, LanguageClient } from 'vscode-languageclient/node';
import { WorkDoneProgress, type WorkDoneProgressReport } from 'vscode-languageclient/node';

export function withBackendProgress<R>(
  client: LanguageClient,
  title: string,
  send: (workDoneToken: string, cancel: CancellationToken) => Promise<R>,
): Thenable<R | undefined> {
  const workDoneToken = `mlm-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, cancel) => {
      let last = 0;
      const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
        if (v.kind === 'end') return;
        const pct = (v as WorkDoneProgressReport).percentage;
        progress.report({
          message: v.message,
          increment: pct !== undefined ? Math.max(0, pct - last) : undefined,
        });
        if (pct !== undefined) last = Math.max(last, pct);
      });
      try {
        return await send(workDoneToken, cancel);
      } catch (err) {
        if (cancel.isCancellationRequested) return undefined;
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
}
