/** One notification when a run ends (what happened, with the next useful action), and one when a run pauses itself. */
import * as vscode from 'vscode';
import type { RunFinishedNotification } from '../protocol/training';
import type { Ctx } from './context';

export function notifyRunFinished(ctx: Ctx): vscode.Disposable {
  return ctx.onRunFinished((r: RunFinishedNotification.Params) => {
    const metrics = r.bestMetrics;
    const best = metrics
      ? ` Best held-out ${Object.entries(metrics)
          .filter(([k]) => ['accuracy', 'macroF1', 'microF1', 'f1', 'mse', 'pearson'].includes(k))
          .map(([k, v]) => (k === 'accuracy' ? `accuracy ${(v * 100).toFixed(1)}%` : `${k} ${v.toFixed(3)}`))
          .join(', ')}.`
      : r.bestEvalLoss !== undefined
        ? ` Best validation loss ${r.bestEvalLoss.toFixed(3)}${
            r.bestEvalAccuracy !== undefined ? `, accuracy ${(r.bestEvalAccuracy * 100).toFixed(1)}%` : ''
          }.`
        : '';
    const text = `MLM run ${r.runId} ${r.outcome} at step ${r.step}: ${r.message.replace(/\.$/, '')}.${best}`;
    ctx.log.info(text);
    const show =
      r.outcome === 'failed'
        ? vscode.window.showErrorMessage(text, 'Show Backend Logs', 'Open Dashboard')
        : r.task
          ? vscode.window.showInformationMessage(text, 'Open Dashboard', 'Classify Selection')
          : vscode.window.showInformationMessage(text, 'Open Dashboard');
    void show.then((choice) => {
      if (choice === 'Open Dashboard') void vscode.commands.executeCommand('mlm.openDashboard');
      if (choice === 'Show Backend Logs') ctx.log.show();
      if (choice === 'Classify Selection') void vscode.commands.executeCommand('mlm.classifySelection');
    });
  });
}

/**
 * One warning when the run paused itself (ServerStatus.pauseReason: a full disk, naming the folder and the space
 * needed), with Resume Training; shown again only for a new pause.
 */
export function notifyRunPaused(ctx: Ctx): vscode.Disposable {
  let shown: string | undefined;
  return ctx.onDidChange(() => {
    const reason = ctx.status?.pauseReason;
    if (reason === shown) return;
    shown = reason;
    if (!reason) return;
    ctx.log.error(`MLM run paused: ${reason}`);
    void vscode.window
      .showWarningMessage(`MLM: ${reason}`, 'Resume Training', 'Show Backend Logs')
      .then((choice) => {
        if (choice === 'Resume Training') void vscode.commands.executeCommand('mlm.resume');
        if (choice === 'Show Backend Logs') ctx.log.show();
      });
  });
}
