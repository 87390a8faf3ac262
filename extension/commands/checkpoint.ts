/** Load Checkpoint: choose the model that hovers and Fill Mask use. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LoadCheckpointRequest } from '../../protocol/inference';
import { RunsRequest } from '../../protocol/training';
import type { Ctx } from '../context';
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
  const { runs } = await ctx.requireClient().sendRequest(RunsRequest.type, {});
  type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
  const items: Item[] = [];
  for (const run of runs) {
    // A fine-tune run's checkpoints are task models (MLM: Load Task Model), not fill-mask models.
    if (run.checkpoints.length === 0 || run.task) continue;
    items.push({ label: run.runId, kind: vscode.QuickPickItemKind.Separator });
    items.push({
      label: `$(star) ${run.runId}`,
      description: 'best, else newest checkpoint',
      detail:
        run.bestEvalLoss !== undefined ? `best validation loss ${run.bestEvalLoss.toFixed(3)}` : undefined,
      dir: run.dir,
    });
    for (const step of [...run.checkpoints].reverse()) {
      items.push({
        label: `step ${step}`,
        description: run.runId,
        dir: path.join(run.dir, 'checkpoints', `step-${step}`),
      });
    }
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(folder-opened) Browse for a checkpoint or run folder…', browse: true });
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Load Checkpoint',
    placeHolder: runs.length ? 'Checkpoint for hovers and Fill Mask' : 'No runs in this workspace yet',
  });
  if (!choice) return undefined;
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
