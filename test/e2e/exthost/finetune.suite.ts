/**
 * Fine-tuning from VS Code: MLM: Fine-tune… on reviews.csv from the pretraining run the training suite made (a run
 * config with a task section, the task metrics with the confusion matrix), then the task model: Classify Selection,
 * the selection hover and Predict File.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import type { FinetuneResult } from '../../../extension/commands/finetune';
import type { PredictRequest } from '../../../protocol/finetune';
import type { MetricRecord } from '../../../protocol/shared/metrics';
import type { TaskModelInfo, TaskPrediction } from '../../../protocol/shared/taskPrediction';
import type { RunFinishedNotification } from '../../../protocol/training';
import { activateExtension, hoverTexts, inWorkspace, nextEvent, until } from './helpers';

const FINETUNE_TIMEOUT_MS = 120_000;
const LABELS = ['negative', 'neutral', 'positive'];

/** The newest pretraining run of the workspace with a checkpoint (the training suite's). */
function pretrainedRun(): string {
  const root = inWorkspace('.mlm', 'runs').fsPath;
  const runs = fs
    .readdirSync(root)
    .map((d) => path.join(root, d))
    .filter(
      (d) => !fs.existsSync(path.join(d, 'finetune.json')) && fs.existsSync(path.join(d, 'checkpoints')),
    )
    .sort();
  const run = runs.at(-1);
  if (!run)
    throw new Error(`no pretraining run with checkpoints under ${root}: the training suite must run first`);
  return run;
}

export function registerFinetuneTests(): void {
  describe('MLM Studio: fine-tuning', function () {
    this.timeout(FINETUNE_TIMEOUT_MS + 30_000);
    let api: MlmStudioApi;
    let run: FinetuneResult | undefined;

    before(async () => {
      ({ api } = await activateExtension());
      if (!api.ctx.running)
        await nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start');
    });

    it('Fine-tune… writes a run config with a task section and the run reports task metrics', async () => {
      const evalRows: MetricRecord[] = [];
      const sub = api.ctx.onMetrics((m) => evalRows.push(...m.records.filter((r) => r.split === 'eval')));
      const done = new Promise<RunFinishedNotification.Params>((resolve) => {
        const s = api.ctx.onRunFinished((r) => {
          s.dispose();
          resolve(r);
        });
      });
      run = await vscode.commands.executeCommand<FinetuneResult>('mlm.finetune', {
        init: pretrainedRun(),
        train: 'reviews.csv',
        kind: 'classification',
        task: { evalEvery: 3, validationSplit: 0.3 },
        training: { maxSteps: 6, batchSize: 8, lr: 0.001 },
        openDashboard: true,
      });
      assert.ok(run?.runId, 'mlm.finetune resolved with a run (see the MLM Studio output for why not)');
      const config = JSON.parse(fs.readFileSync(run.config, 'utf8')) as { task: Record<string, unknown> };
      assert.equal(config.task.train, 'reviews.csv');
      assert.equal(config.task.kind, 'classification');
      const finished = await Promise.race([
        done,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error('the fine-tune run did not finish in time')),
            FINETUNE_TIMEOUT_MS,
          ),
        ),
      ]);
      sub.dispose();
      assert.equal(finished.runId, run.runId);
      assert.equal(finished.outcome, 'completed', finished.message);
      assert.equal(finished.task, 'classification');
      assert.equal(typeof finished.bestMetrics?.accuracy, 'number');
      const withMatrix = evalRows.filter((r) => r.confusion);
      assert.ok(withMatrix.length >= 2, `eval rows with a confusion matrix: ${withMatrix.length}`);
      assert.deepEqual(withMatrix[0].classes, LABELS);
      assert.equal(
        withMatrix[0].confusion!.flat().reduce((a, b) => a + b, 0),
        9,
      );
    });

    it('the finished run is the task model; Classify Selection names one of its labels', async () => {
      assert.ok(run, 'needs the fine-tune run above');
      const model = await until(
        () => api.ctx.status?.taskModel?.runId === run!.runId && api.ctx.status.taskModel,
        20_000,
        'the status to name the fine-tuned task model',
        [api.ctx.onDidChange],
      );
      assert.deepEqual(model.labels, LABELS);
      const editor = await vscode.window.showTextDocument(inWorkspace('comments.txt'));
      editor.selection = new vscode.Selection(0, 0, 0, editor.document.lineAt(0).text.length);
      const r = await vscode.commands.executeCommand<{ prediction: TaskPrediction; model: TaskModelInfo }>(
        'mlm.classifySelection',
        { quiet: true },
      );
      assert.ok(r, 'mlm.classifySelection resolved with a prediction');
      assert.equal(r.prediction.text, editor.document.lineAt(0).text);
      assert.ok(LABELS.includes(r.prediction.labels[0]), r.prediction.labels.join());
      assert.deepEqual(r.prediction.scores.map((s) => s.label).sort(), LABELS);
    });

    it('hovering the selection shows the label and every probability', async () => {
      const uri = inWorkspace('comments.txt');
      const texts = await until(
        async () => {
          const t = (await hoverTexts(uri, new vscode.Position(0, 5))).join('\n');
          return t.includes('| label | probability |') && t;
        },
        20_000,
        'a hover with the task model’s answer',
      );
      for (const l of LABELS) assert.match(texts, new RegExp(`\\| ${l} \\| [\\d.]+ % \\|`));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('Predict File writes comments.predictions.jsonl next to the file', async () => {
      const r = await vscode.commands.executeCommand<PredictRequest.Result>(
        'mlm.predictFile',
        inWorkspace('comments.txt'),
      );
      assert.ok(r?.file, 'mlm.predictFile resolved with the file result');
      assert.equal(r.file.output, inWorkspace('comments.predictions.jsonl').fsPath);
      assert.equal(r.file.count, 5);
      const lines = fs.readFileSync(r.file.output, 'utf8').trim().split('\n');
      assert.equal(lines.length, 5);
      for (const l of lines) assert.ok(LABELS.includes((JSON.parse(l) as TaskPrediction).labels[0]), l);
    });
  });
}
