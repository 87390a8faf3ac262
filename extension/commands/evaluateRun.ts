/**
 * MLM: Evaluate Run…: a run's best (else newest) checkpoint evaluated by the backend (mlm/evaluateRun, the same as
 * `mlm eval`): pick a run, then the text — a pretraining run's own held-out split (the default when it held text
 * out) or files/folders; a fine-tuned run's task.eval file or a labelled file — with a cancellable progress over the
 * batches. The result: a message with the main numbers and a Markdown report in the preview.
 */
import * as vscode from 'vscode';
import { EvaluateRunRequest } from '../../protocol/actions';
import type { RunInfo } from '../../protocol/training';
import type { Ctx } from '../context';
import { evaluationMarkdown, evaluationSummary } from './actionReports';
import { withBackendProgress } from './backendProgress';
import { pickRun, runById } from './pickRun';
import { showReport } from './reportView';

export interface EvaluateRunArgs {
  runId?: string;
  /** Pretraining run: files, folders or globs (absent: asked; `[]` = the held-out split). */
  corpus?: string[];
  /** Fine-tuned run: the labelled file (absent: its task.eval file, else asked). */
  data?: string;
  batchSize?: number;
  /** Skip the Markdown preview (tests). */
  quiet?: boolean;
}

const HELD_OUT = 'held-out';
const BROWSE = 'browse';

/** The text to evaluate a pretraining run on: undefined = dismissed, [] = its held-out split. */
async function pickCorpus(run: RunInfo): Promise<string[] | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: "$(beaker) The run's held-out split",
        description: 'the text training held out (rebuilt from its corpus)',
        id: HELD_OUT,
      },
      { label: '$(folder-opened) Files or folders…', description: 'pick text files or folders', id: BROWSE },
    ],
    { title: `Evaluate ${run.runId}`, placeHolder: 'The text to evaluate the run on' },
  );
  if (!pick) return undefined;
  if (pick.id === HELD_OUT) return [];
  const uris = await vscode.window.showOpenDialog({
    title: `Evaluate ${run.runId} on…`,
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: true,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Evaluate',
  });
  return uris?.length ? uris.map((u) => u.fsPath) : undefined;
}

async function pickLabelled(run: RunInfo): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    title: `Evaluate ${run.runId} on labelled data`,
    canSelectFiles: true,
    canSelectMany: false,
    filters: { 'Labelled data': ['csv', 'tsv', 'jsonl', 'conll', 'txt'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Evaluate',
  });
  return uris?.[0]?.fsPath;
}

/** Resolves with the backend's answer, or undefined when a pick was dismissed or the evaluation cancelled. */
export async function evaluateRunCommand(
  ctx: Ctx,
  arg?: unknown,
): Promise<EvaluateRunRequest.Result | undefined> {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as EvaluateRunArgs;
  const client = ctx.requireClient();
  const run = a.runId
    ? await runById(ctx, a.runId)
    : await pickRun(ctx, {
        title: 'Evaluate Run',
        placeHolder: 'The run whose best checkpoint to evaluate',
        none: 'No run with a checkpoint to evaluate: train one first (MLM: Train MLM).',
      });
  if (!run) return undefined;
  const params: EvaluateRunRequest.Params = { runId: run.runId, batchSize: a.batchSize };
  if (run.task) {
    if (a.data !== undefined) params.data = a.data;
  } else {
    const corpus = a.corpus ?? (await pickCorpus(run));
    if (!corpus) return undefined;
    if (corpus.length) params.corpus = corpus;
  }
  const send = (p: EvaluateRunRequest.Params): Thenable<EvaluateRunRequest.Result | undefined> =>
    withBackendProgress(client, `MLM: evaluating ${run.runId}`, (workDoneToken, cancel) =>
      client.sendRequest(EvaluateRunRequest.type, { ...p, workDoneToken }, cancel),
    );
  let r: EvaluateRunRequest.Result | undefined;
  try {
    r = await send(params);
  } catch (err) {
    // A fine-tuned run without a task.eval file: ask for the labelled file once.
    if (!run.task || params.data !== undefined || !/task\.eval|pick a labelled file/.test(String(err)))
      throw err;
    const data = await pickLabelled(run);
    if (!data) return undefined;
    r = await send({ ...params, data });
  }
  if (!r) return undefined; // cancelled: the backend stopped the evaluation
  ctx.log.info(`evaluated ${run.runId}:\n${r.report.join('\n')}`);
  const summary = `MLM: ${run.runId}${r.step !== undefined ? ` (step ${r.step})` : ''} — ${evaluationSummary(r)}`;
  if (!a.quiet) await showReport(`${run.runId}-evaluation`, evaluationMarkdown(r));
  void vscode.window.showInformationMessage(summary);
  return r;
}
