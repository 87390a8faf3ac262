/**
 * MLM: Import torchrun Result…: a launch bundle (`mlm launch --engine torchrun`) that ran on a cluster becomes a run
 * of the workspace (mlm/importLaunch); hovers and Fill Mask then use its weights (mlm/loadCheckpoint) and the
 * dashboard shows its curves. The bundle path is the backend's: a folder dialog locally, an input box on a remote one.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LoadCheckpointRequest } from '../../protocol/inference';
import { ImportLaunchRequest } from '../../protocol/launch';
import type { Ctx } from '../context';
import { uriFromArg } from '../runConfig/files';
import { formatRemoteAddress } from '../settings';

export interface ImportLaunchArgs {
  /** The bundle folder (asked for when absent). */
  bundle?: string;
  /** The new run's id (asked for when absent; default <bundle name>-torchrun). */
  runId?: string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Resolves with what was imported, or undefined when cancelled. */
export async function importLaunch(
  ctx: Ctx,
  showRun: (runId: string) => Promise<void>,
  arg?: unknown,
): Promise<ImportLaunchRequest.Result | undefined> {
  const client = ctx.requireClient();
  const given = (
    typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) ? arg : {}
  ) as ImportLaunchArgs;
  const bundle = given.bundle ?? uriFromArg(arg)?.fsPath ?? (await pickBundle(ctx));
  if (!bundle) return undefined;
  const runId =
    given.runId ??
    (await vscode.window.showInputBox({
      title: 'Import torchrun Result',
      prompt: 'Name of the new run (its folder under .mlm/runs)',
      value: `${path.basename(bundle)}-torchrun`,
      validateInput: (v) =>
        RUN_ID.test(v)
          ? undefined
          : "Letters, digits, '.', '_' and '-' (a folder name), starting with a letter or digit",
      ignoreFocusOut: true,
    }));
  if (!runId) return undefined;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MLM: importing ${path.basename(bundle)}…` },
    () => client.sendRequest(ImportLaunchRequest.type, { bundle, runId }),
  );
  ctx.log.info(
    `imported ${bundle} as ${result.runDir} (${result.steps} steps, checkpoints ${result.checkpoints.join(', ')})`,
  );
  await client.sendRequest(LoadCheckpointRequest.type, { path: result.runDir });
  await ctx.refreshStatus();
  await showRun(result.runId);
  const how = result.processes ? ` on ${result.processes} ${result.device ?? ''} process(es)` : '';
  void vscode.window.showInformationMessage(
    `MLM: imported ${result.runId}: ${result.steps} steps trained${how}. Hovers and Fill Mask now use it; ` +
      'the dashboard shows its curves.',
  );
  return result;
}

async function pickBundle(ctx: Ctx): Promise<string | undefined> {
  if (ctx.remote) {
    // The folder dialog shows this machine: on a remote backend the bundle path is the server's.
    return vscode.window.showInputBox({
      title: 'Import torchrun Result',
      prompt: `The bundle folder mlm launch wrote, on ${formatRemoteAddress(ctx.remote)} (absolute, or relative to its workspace)`,
      ignoreFocusOut: true,
    });
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Import torchrun Result',
    title: 'The bundle folder mlm launch wrote (with bundle.json and output/)',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}
