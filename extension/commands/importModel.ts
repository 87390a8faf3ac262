/**
 * MLM: Import Hugging Face Model…: a local Hugging Face folder (config.json, the weights, vocab.txt or
 * tokenizer.json) picked with a folder dialog becomes a run of the workspace (mlm/importModel, the same as
 * `mlm import --hf`), with a cancellable progress; it then answers hovers and Fill Mask, and is offered to
 * continued pretraining (`model.init`) and MLM: Fine-tune…. A folder that is not a model is refused naming what
 * is missing.
 */
import * as vscode from 'vscode';
import { ImportModelRequest } from '../../protocol/actions';
import { LoadTaskModelRequest } from '../../protocol/finetune';
import { LoadCheckpointRequest } from '../../protocol/inference';
import type { Ctx } from '../context';
import { withBackendProgress } from './backendProgress';

export interface ImportModelArgs {
  folder?: string;
  runId?: string;
}

/** Resolves with the backend's answer, or undefined when the dialog was dismissed or the import cancelled. */
export async function importModelCommand(
  ctx: Ctx,
  showRun: (runId: string) => Promise<void>,
  arg?: unknown,
): Promise<ImportModelRequest.Result | undefined> {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as ImportModelArgs;
  const client = ctx.requireClient();
  let folder = a.folder;
  if (!folder) {
    if (ctx.remote) {
      folder = await vscode.window.showInputBox({
        title: 'Import Hugging Face Model',
        prompt: 'The model folder on the backend’s machine (config.json, model.safetensors, vocab.txt)',
        validateInput: (v) => (v.trim() ? undefined : 'Give a folder'),
      });
    } else {
      const picked = await vscode.window.showOpenDialog({
        title: 'Import Hugging Face Model (config.json, model.safetensors, vocab.txt or tokenizer.json)',
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        openLabel: 'Import',
      });
      folder = picked?.[0]?.fsPath;
    }
  }
  if (!folder) return undefined;
  const r = await withBackendProgress(client, `MLM: importing ${folder}`, (workDoneToken, cancel) =>
    client.sendRequest(ImportModelRequest.type, { folder: folder!, runId: a.runId, workDoneToken }, cancel),
  );
  if (!r) return undefined;
  ctx.log.info(`imported ${folder} as ${r.runId}:\n${r.report.join('\n')}`);
  // Use it at once: hovers and Fill Mask (an MLM), or Classify Selection (a task model).
  if (r.kind === 'mlm') await client.sendRequest(LoadCheckpointRequest.type, { path: r.runDir });
  else await client.sendRequest(LoadTaskModelRequest.type, { path: r.runDir });
  const what =
    r.kind === 'mlm'
      ? `${r.summary}, ${r.vocabSize ?? '?'} tokens — hovers and Fill Mask use it; continue pretraining with "model": { "init": "${r.runDir}" } or fine-tune it (MLM: Fine-tune…)`
      : `a ${r.task} model (${(r.labels ?? []).join(', ')}) — Classify Selection uses it`;
  void vscode.window
    .showInformationMessage(`MLM: imported run ${r.runId}: ${what}.`, 'Open Dashboard')
    .then((c) => c && showRun(r.runId));
  return r;
}
