/**
 * Using a task model in VS Code: Classify Selection, the selection hover (plaintext/markdown, when a task model is
 * loaded and mlm.classify.hover is on), Predict File (JSONL next to it, with progress and cancel) and Load Task
 * Model. The backend predicts (mlm/predict, mlm/loadTaskModel); this side only asks and shows.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LoadTaskModelRequest, PredictRequest } from '../../protocol/finetune';
import type { TaskModelInfo, TaskPrediction } from '../../protocol/shared/taskPrediction';
import { RunsRequest } from '../../protocol/training';
import { readClientSettings } from '../config';
import type { Ctx } from '../context';
import { uriFromArg } from '../runConfig/files';
import { withBackendProgress } from './backendProgress';
import { browse } from './finetune';
import { describePrediction, predictionMarkdown } from './predictionText';

/** The selected text of the active editor, else its current line. */
function selectedText(editor: vscode.TextEditor): string {
  const sel = editor.selection;
  return sel.isEmpty ? editor.document.lineAt(sel.active.line).text : editor.document.getText(sel);
}

export interface ClassifyArgs {
  /** Classify this text instead of the selection (tests, keybindings). */
  text?: string;
  /** Do not show a message (the caller shows the result). */
  quiet?: boolean;
}

/** MLM: Classify Selection. Resolves with the prediction (the message shows the label and the probabilities). */
export async function classifySelection(
  ctx: Ctx,
  arg?: unknown,
): Promise<{ prediction: TaskPrediction; model: TaskModelInfo } | undefined> {
  const a = (arg ?? {}) as ClassifyArgs;
  const editor = vscode.window.activeTextEditor;
  const text = a.text ?? (editor ? selectedText(editor) : undefined);
  if (text === undefined) throw new Error('Classify Selection needs an editor: select the text to classify.');
  if (!text.trim())
    throw new Error('Select some text (or put the cursor on a non-empty line) to classify it.');
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MLM: classifying…' },
    () => ctx.requireClient().sendRequest(PredictRequest.type, { texts: [text] }),
  );
  const prediction = r.predictions![0];
  if (!a.quiet) void vscode.window.showInformationMessage(`MLM: ${describePrediction(prediction)}`);
  ctx.log.info(
    `classified ${JSON.stringify(text.slice(0, 60))} with ${r.model.dir}: ${describePrediction(prediction)}`,
  );
  return { prediction, model: r.model };
}

/** Hover on a selection in plaintext/markdown → the task model's answer for the selected text. */
export function registerClassifyHover(ctx: Ctx): vscode.Disposable {
  return vscode.languages.registerHoverProvider([{ language: 'plaintext' }, { language: 'markdown' }], {
    async provideHover(doc, position, token) {
      if (!ctx.running || !ctx.status?.taskModel || !readClientSettings().settings.classifyHover)
        return undefined;
      const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
      const sel = editor?.selections.find((s) => !s.isEmpty && s.contains(position));
      if (!sel) return undefined;
      const text = doc.getText(sel);
      if (!text.trim()) return undefined;
      try {
        const r = await ctx.requireClient().sendRequest(PredictRequest.type, { texts: [text] }, token);
        const md = new vscode.MarkdownString(predictionMarkdown(r.predictions![0], r.model));
        return new vscode.Hover(md, sel);
      } catch (err) {
        ctx.log.debug(`selection hover: ${(err as Error).message}`);
        return undefined;
      }
    },
  });
}

/**
 * MLM: Predict File: the task model's predictions for every line of a file (the argument, else the active editor's),
 * written by the backend to `<name>.predictions.jsonl` next to it; progress in a cancellable notification.
 */
export async function predictFile(ctx: Ctx, arg?: unknown): Promise<PredictRequest.Result | undefined> {
  const uri = uriFromArg(arg) ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file') {
    throw new Error(
      'Predict File needs a file: open it, or run the command from its context menu in the Explorer.',
    );
  }
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty) await open.save();
  const client = ctx.requireClient();
  const result = await withBackendProgress(
    client,
    `MLM: predicting ${vscode.workspace.asRelativePath(uri)}`,
    (workDoneToken, cancel) =>
      client.sendRequest(PredictRequest.type, { file: uri.fsPath, workDoneToken }, cancel),
  );
  if (!result) return undefined; // cancelled
  const f = result.file!;
  const counts = Object.entries(f.labelCounts)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ');
  const out = vscode.Uri.file(f.output);
  ctx.log.info(`predicted ${f.count} inputs of ${f.input} → ${f.output} (${counts})`);
  void vscode.window
    .showInformationMessage(
      `MLM: ${f.count} predictions written to ${vscode.workspace.asRelativePath(out)}${counts ? ` (${counts})` : ''}.`,
      'Open',
    )
    .then((c) => c && vscode.window.showTextDocument(out));
  return result;
}

/** MLM: Load Task Model: a fine-tune run (picked) or a folder (browsed) for Classify Selection and Predict File. */
export async function loadTaskModel(ctx: Ctx, arg?: unknown): Promise<TaskModelInfo | undefined> {
  const client = ctx.requireClient();
  let target = uriFromArg(arg)?.fsPath;
  if (!target) {
    const { runs } = await client.sendRequest(RunsRequest.type, {});
    type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
    const items: Item[] = runs
      .filter((r) => r.task && r.checkpoints.length > 0)
      .map((r) => ({
        label: `$(symbol-class) ${r.runId}`,
        description: r.task,
        detail:
          r.bestEvalAccuracy !== undefined
            ? `accuracy ${(r.bestEvalAccuracy * 100).toFixed(1)} %`
            : undefined,
        dir: r.dir,
      }));
    items.push({ label: '$(folder-opened) Browse for a Hugging Face task model folder…', browse: true });
    const choice = await vscode.window.showQuickPick(items, { title: 'Load Task Model' });
    if (!choice) return undefined;
    target = choice.browse ? await browse('Load Task Model', false) : choice.dir;
    if (!target) return undefined;
  }
  const m = await client.sendRequest(LoadTaskModelRequest.type, { path: target });
  void vscode.window.showInformationMessage(
    `MLM: Classify Selection and Predict File now use ${m.runId ?? path.basename(m.dir)} (${m.task}: ${m.labels.slice(0, 6).join(', ')}${m.labels.length > 6 ? ', …' : ''}).`,
  );
  await ctx.refreshStatus();
  return m;
}
