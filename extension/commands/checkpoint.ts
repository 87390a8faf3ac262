/** Load Checkpoint: choose the model that hovers and Fill Mask use. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LoadCheckpointRequest } from '../../protocol/inference';
import { RunDetailsRequest, RunsRequest } from '../../protocol/training';
import type { Ctx } from '../context';
import { formatRemoteAddress } from '../settings';
import { uriFromArg } from '../runConfig/files';

/** Resolves with what the backend loaded, or undefined when cancelled. Argument: a checkpoint or run dir. */
export async function loadCheckpoint(
  ctx: Ctx,
  arg?: unknown,
): Promise<LoadCheckpointRequest.Result | undefined> {
  const client = ctx.requireClient();
  const target = uriFromArg(arg)?.fsPath ?? (await pickCheckpoint(ctx));
  if (!target) return undefined;
  const result = await client.sendRequest(LoadCheckpointRequest.type, { path: target });
  const what = `${result.runId ?? path.basename(result.dir)}${result.step !== undefined ? ` @ step ${result.step}` : ''}`;
  ctx.log.info(`loaded checkpoint ${result.dir}`);
  void vscode.window.showInformationMessage(`MLM: hovers and Fill Mask now use ${what}.`);
  await ctx.refreshStatus();
  return result;
}

async function pickCheckpoint(ctx: Ctx): Promise<string | undefined> {
  const client = ctx.requireClient();
  const { runs } = await client.sendRequest(RunsRequest.type, {});
  // Checkpoint folders as the backend names them (its machine's paths): from mlm/runDetails.
  const details = await Promise.all(
    runs
      .filter((r) => r.checkpoints.length > 0)
      .map((r) => client.sendRequest(RunDetailsRequest.type, { runId: r.runId })),
  );
  type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
  const items: Item[] = [];
  for (const { run, checkpoints } of details) {
    // A fine-tune run's checkpoints are task models (MLM: Load Task Model), not fill-mask models.
    if (checkpoints.length === 0 || run.task) continue;
    items.push({ label: run.runId, kind: vscode.QuickPickItemKind.Separator });
    items.push({
      label: `$(star) ${run.runId}`,
      description: 'best, else newest checkpoint',
      detail:
        run.bestEvalLoss !== undefined ? `best validation loss ${run.bestEvalLoss.toFixed(3)}` : undefined,
      dir: run.dir,
    });
    for (const c of [...checkpoints].reverse()) {
      items.push({
        label: `step ${c.step}`,
        description: `${run.runId}${c.best ? ' · best eval' : ''}`,
        dir: c.dir,
      });
    }
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push(
    ctx.remote
      ? { label: `$(remote) Enter a folder path on ${formatRemoteAddress(ctx.remote)}…`, browse: true }
      : { label: '$(folder-opened) Browse for a checkpoint or run folder…', browse: true },
  );
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Load Checkpoint',
    placeHolder: runs.length ? 'Checkpoint for hovers and Fill Mask' : 'No runs in this workspace yet',
  });
  if (!choice) return undefined;
  if (choice.browse && ctx.remote) {
    // The folder dialog shows this machine: on a remote backend the path is the server's.
    return vscode.window.showInputBox({
      title: 'Load Checkpoint',
      prompt: `A run or checkpoint folder on ${formatRemoteAddress(ctx.remote)} (absolute, or relative to its workspace)`,
      placeHolder: 'a run folder, or one of its checkpoint folders',
      ignoreFocusOut: true,
    });
  }
  if (choice.browse) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Load Checkpoint',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    return picked?.[0]?.fsPath;
  }
  return choice.dir;
}
