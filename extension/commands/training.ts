/** Train MLM, Stop / Pause / Resume Training. */
import { readJsonText } from '../../protocol/jsonc';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { MlmErrorCodes } from '../../protocol/errors';
import { PauseRequest, ResumeRequest, StopRequest, TrainRequest } from '../../protocol/training';
import type { Ctx } from '../context';
import { formatRemoteAddress } from '../settings';
import { pickRunConfig, uriFromArg } from '../runConfig/files';
import { describeError } from './errors';

export interface TrainArgs {
  uri?: vscode.Uri | string;
  /** Open the dashboard beside the editor once the run started (default true). */
  openDashboard?: boolean;
}

/**
 * Starts a run from a `*.mlm.json` (the argument, else picked or created from a preset). Resolves with the run
 * id and directory once the backend accepted it; undefined when cancelled or refused (the user was told why).
 */
export async function train(
  ctx: Ctx,
  openDashboard: () => Promise<void>,
  arg?: unknown,
): Promise<TrainRequest.Result | undefined> {
  if (!vscode.workspace.isTrusted) {
    const choice = await vscode.window.showWarningMessage(
      'Training is off in Restricted Mode: MLM Studio only reads and trains on trusted workspaces. Trust this folder to train.',
      'Manage Workspace Trust',
    );
    if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  }
  const client = ctx.requireClient();
  const uri = uriFromArg(arg) ?? (await pickRunConfig('Train MLM'));
  if (!uri) return undefined;
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty) await open.save();
  try {
    // A remote backend cannot read this machine's files: it gets the config itself, whose paths are its own.
    const params: TrainRequest.Params = ctx.remote
      ? { config: parseConfigText(uri, (await vscode.workspace.openTextDocument(uri)).getText()) }
      : { configPath: uri.fsPath };
    const result = await client.sendRequest(TrainRequest.type, params);
    ctx.log.info(`run ${result.runId} started from ${uri.fsPath} → ${result.runDir}`);
    if (ctx.remote) {
      void vscode.window.showInformationMessage(
        `Training ${result.runId} on the remote backend ${formatRemoteAddress(ctx.remote)}: its corpus is the server's workspace, and paths in the run config are paths on that machine. The run goes on when VS Code disconnects.`,
      );
    }
    const wantsDashboard = (arg as TrainArgs | undefined)?.openDashboard !== false;
    if (wantsDashboard) await openDashboard();
    return result;
  } catch (err) {
    if (err instanceof ResponseError && err.code === MlmErrorCodes.InvalidRunConfig) {
      const choice = await vscode.window.showErrorMessage(
        `${vscode.workspace.asRelativePath(uri)}: ${describeError(err)}`,
        'Open Configuration',
      );
      if (choice) await vscode.window.showTextDocument(uri);
      return undefined;
    }
    if (err instanceof ResponseError && err.code === MlmErrorCodes.RunInProgress) {
      const choice = await vscode.window.showWarningMessage(err.message, 'Stop Training', 'Open Dashboard');
      if (choice === 'Stop Training') await control(ctx, 'stop');
      if (choice === 'Open Dashboard') await openDashboard();
      return undefined;
    }
    throw err;
  }
}

/** The JSON (comments allowed) of a run config file, or an error naming the file (the backend validates the rest). */
function parseConfigText(uri: vscode.Uri, text: string): unknown {
  const read = readJsonText(text);
  if (read.ok) return read.value;
  throw new Error(
    `${vscode.workspace.asRelativePath(uri)} is not valid JSON (${read.error}): fix it, VS Code underlines the error`,
  );
}

export type ControlAction = 'stop' | 'pause' | 'resume';

/** Stop, pause or resume the active run. Resolves with the run id, or undefined when no run was active. */
export async function control(ctx: Ctx, action: ControlAction): Promise<string | undefined> {
  const client = ctx.requireClient();
  const type =
    action === 'stop' ? StopRequest.type : action === 'pause' ? PauseRequest.type : ResumeRequest.type;
  try {
    const { runId } = await client.sendRequest(type, {});
    ctx.log.info(`${action} → run ${runId}`);
    return runId;
  } catch (err) {
    if (err instanceof ResponseError && err.code === MlmErrorCodes.NoActiveRun) {
      void vscode.window.showInformationMessage(err.message);
      return undefined;
    }
    throw err;
  }
}
