/**
 * MLM: Export to Hugging Face…: a run's best (else newest) checkpoint written as a Hugging Face folder by the backend
 * (mlm/exportRun, the same as `mlm export`): pick a run with checkpoints, confirm the folder (default
 * `exports/<run id>` in the workspace, a path on the backend's machine), a progress notification while it writes;
 * a non-empty folder asks before overwriting.
 */
import * as vscode from 'vscode';
import { MlmErrorCodes } from '../../protocol/errors';
import { ExportRunRequest } from '../../protocol/export';
import type { Ctx } from '../context';
import { pickRun } from './pickRun';

export interface ExportRunArgs {
  runId?: string;
  out?: string;
  force?: boolean;
}

/** Resolves with the backend's answer, or undefined when the user cancelled a pick. */
export async function exportRunCommand(
  ctx: Ctx,
  arg?: unknown,
): Promise<ExportRunRequest.Result | undefined> {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as ExportRunArgs;
  const client = ctx.requireClient();
  const runId =
    a.runId ??
    (
      await pickRun(ctx, {
        title: 'Export to Hugging Face',
        placeHolder: 'The run whose best checkpoint to export',
        none: 'No run with a checkpoint to export: train one first (MLM: Train MLM).',
      })
    )?.runId;
  if (!runId) return undefined;
  const out =
    a.out ??
    (await vscode.window.showInputBox({
      title: 'Export to Hugging Face',
      prompt: 'Folder to write (relative to the workspace, or absolute; on the backend’s machine)',
      value: `exports/${runId}`,
      validateInput: (v) => (v.trim() ? undefined : 'Give a folder'),
    }));
  if (!out) return undefined;
  const send = (force: boolean): Thenable<ExportRunRequest.Result> =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MLM: exporting ${runId} to ${out}…` },
      () => client.sendRequest(ExportRunRequest.type, { runId, out, force }),
    );
  let r: ExportRunRequest.Result;
  try {
    r = await send(a.force ?? false);
  } catch (err) {
    const e = err as { code?: number; message?: string };
    if (
      a.force !== undefined ||
      e.code !== MlmErrorCodes.InvalidParams ||
      !/--force|not empty|force/i.test(e.message ?? '')
    )
      throw err;
    const ok = await vscode.window.showWarningMessage(
      `${e.message ?? 'The folder is not empty.'}`,
      { modal: true },
      'Overwrite',
    );
    if (ok !== 'Overwrite') return undefined;
    r = await send(true);
  }
  ctx.log.info(`exported ${runId} to ${r.outDir}: ${r.files.join(', ')}`);
  const reveal = ctx.remote ? [] : ['Reveal in File Explorer'];
  void vscode.window
    .showInformationMessage(
      `MLM: exported ${runId}${r.step !== undefined ? ` (step ${r.step})` : ''} to ${r.outDir} — load it with transformers ${r.loadWith}.from_pretrained(…)`,
      ...reveal,
    )
    .then((c) => c && vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(r.outDir)));
  return r;
}
