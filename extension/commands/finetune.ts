/**
 * MLM: Fine-tune… in VS Code: pick a pretrained run or Hugging Face folder, a labelled file and the task; writes a
 * `*.mlm.json` with a `task` section and starts it like any run (mlm/train), with progress. Using the task model
 * afterwards (Classify Selection, the selection hover, Predict File) is in classify.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TASK_KINDS, type TaskKindChoice } from '../../protocol/shared/choices';
import { RunsRequest, type TrainRequest } from '../../protocol/training';
import type { Ctx } from '../context';
import { writeNewRunConfig } from '../runConfig/files';
import { control, train } from './training';

/** Labelled data the Fine-tune… picker offers (a DIR/<label>/*.txt folder comes through Browse). */
const LABELLED_GLOB = '**/*.{csv,tsv,jsonl,ndjson,conll}';
const EXCLUDE = '{**/node_modules/**,**/.mlm/**,**/.git/**}';

export interface FinetuneArgs {
  /** The pretrained start: a run, checkpoint or Hugging Face folder (asked for when absent). */
  init?: string;
  /** The labelled file or DIR/<label>/ folder (asked for when absent). */
  train?: string;
  /** Default: asked for (token for .conll files). */
  kind?: TaskKindChoice;
  /** Extra `training` fields for the run config (tests: a few steps). */
  training?: Record<string, unknown>;
  /** Extra `task` fields (e.g. evalEvery, validationSplit). */
  task?: Record<string, unknown>;
  /** Open the dashboard once the run started (default true). */
  openDashboard?: boolean;
}

export interface FinetuneResult extends TrainRequest.Result {
  /** The run config written for this fine-tune. */
  config: string;
}

const workspaceRoot = (): vscode.Uri => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder)
    throw new Error('Open a folder first: fine-tune runs and their data live in the workspace folder.');
  return folder.uri;
};

/** A path as the run config stores it: relative to the workspace root when inside it, else absolute. */
function configPath(root: string, p: string): string {
  const rel = path.relative(root, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
}

/** An open dialog for one file or folder, starting in the workspace folder; its path, or undefined. */
export async function browse(openLabel: string, canSelectFiles: boolean): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles,
    openLabel,
    defaultUri: workspaceRoot(),
  });
  return picked?.[0]?.fsPath;
}

async function pickInit(ctx: Ctx): Promise<string | undefined> {
  const { runs } = await ctx.requireClient().sendRequest(RunsRequest.type, {});
  type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
  const items: Item[] = runs
    .filter((r) => !r.task && r.checkpoints.length > 0)
    .map((r) => ({
      label: `$(database) ${r.runId}`,
      description: [r.arch, r.preset].filter(Boolean).join(' '),
      detail:
        r.bestEvalLoss !== undefined
          ? `pretrained ${r.step ?? '?'} steps, best validation loss ${r.bestEvalLoss.toFixed(3)}`
          : undefined,
      dir: r.dir,
    }));
  items.push({ label: '$(folder-opened) Browse for a Hugging Face BERT or run folder…', browse: true });
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Fine-tune (1/3): the pretrained model',
    placeHolder:
      items.length > 1 ? 'Start from a pretraining run' : 'No pretraining run yet: browse for a folder',
  });
  if (!choice) return undefined;
  return choice.browse ? browse('Fine-tune from this model', false) : choice.dir;
}

async function pickTrain(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(LABELLED_GLOB, EXCLUDE, 200);
  type Item = vscode.QuickPickItem & { file?: string; browse?: boolean };
  const items: Item[] = found
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    .map((u) => ({ label: `$(file) ${vscode.workspace.asRelativePath(u)}`, file: u.fsPath }));
  items.push({ label: '$(folder-opened) Browse for a file or a DIR/<label>/*.txt folder…', browse: true });
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Fine-tune (2/3): the labelled data',
    placeHolder: 'CSV / TSV / JSONL with text and label columns, or CoNLL word<TAB>tag',
  });
  if (!choice) return undefined;
  return choice.browse ? browse('Fine-tune on this data', true) : choice.file;
}

const KIND_DETAIL: Record<TaskKindChoice, string> = {
  classification: 'one label per text (sentiment, topic, intent, urgency …)',
  multilabel: 'any number of labels per text (a "labels" column, comma-separated)',
  regression: 'one or more numbers per text (a score)',
  token: 'one tag per word, BIO for named entities (CoNLL word<TAB>tag files)',
};

async function pickKind(train: string): Promise<TaskKindChoice | undefined> {
  const order = train.toLowerCase().endsWith('.conll')
    ? ['token', ...TASK_KINDS.filter((k) => k !== 'token')]
    : [...TASK_KINDS];
  const choice = await vscode.window.showQuickPick(
    order.map((k) => ({ label: k, detail: KIND_DETAIL[k as TaskKindChoice], task: k as TaskKindChoice })),
    { title: 'Fine-tune (3/3): the task' },
  );
  return choice?.task;
}

/**
 * MLM: Fine-tune…: writes `<data>.finetune.mlm.json` (next free name) in the workspace folder and starts it. Resolves
 * with the run once the backend accepted it; undefined when cancelled or refused (the user was told why).
 */
export async function finetune(
  ctx: Ctx,
  openDashboard: () => Promise<void>,
  arg?: unknown,
): Promise<FinetuneResult | undefined> {
  const a = (arg ?? {}) as FinetuneArgs;
  const root = workspaceRoot();
  const init = a.init ?? (await pickInit(ctx));
  if (!init) return undefined;
  const trainFile = a.train ?? (await pickTrain());
  if (!trainFile) return undefined;
  const kind = a.kind ?? (await pickKind(trainFile));
  if (!kind) return undefined;
  const abs = (p: string): string => (path.isAbsolute(p) ? p : path.join(root.fsPath, p));
  const base = path.basename(trainFile).replace(/\.[^.]+$/, '') || 'data';
  const config = {
    name: base,
    task: {
      kind,
      train: configPath(root.fsPath, abs(trainFile)),
      init: configPath(root.fsPath, abs(init)),
      ...a.task,
    },
    ...(a.training && Object.keys(a.training).length ? { training: a.training } : {}),
  };
  const target = await writeNewRunConfig(root, `${base}.finetune`, config);
  ctx.log.info(`fine-tune config written: ${target.fsPath}`);
  const run = await train(ctx, openDashboard, { uri: target, openDashboard: a.openDashboard });
  if (!run) return undefined;
  void showRunProgress(ctx, run.runId);
  return { ...run, config: target.fsPath };
}

/** A cancellable notification that follows a run's steps until it finishes (cancel = stop the run). */
function showRunProgress(ctx: Ctx, runId: string): Thenable<void> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MLM: fine-tuning ${runId}`, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        let last = 0;
        const subs: vscode.Disposable[] = [];
        const done = (): void => {
          for (const s of subs) s.dispose();
          resolve();
        };
        subs.push(
          ctx.onDidChange(() => {
            const s = ctx.status;
            if (!s || s.runId !== runId) return;
            const pct = s.maxSteps && s.step !== undefined ? (100 * s.step) / s.maxSteps : undefined;
            const increment = pct !== undefined ? Math.max(0, pct - last) : undefined;
            if (pct !== undefined) last = pct;
            const loss = s.evalLoss !== undefined ? `, eval loss ${s.evalLoss.toFixed(3)}` : '';
            progress.report({
              increment,
              message: `${s.phase ?? s.state}${s.step !== undefined ? `, step ${s.step}${s.maxSteps ? ` / ${s.maxSteps}` : ''}` : ''}${loss}`,
            });
          }),
          ctx.onRunFinished((r) => r.runId === runId && done()),
          token.onCancellationRequested(() => {
            void control(ctx, 'stop');
          }),
        );
      }),
  );
}
