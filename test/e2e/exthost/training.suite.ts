/** Train MLM on the fixture workspace: a run on disk, the dashboard receiving metrics, hovers with predictions. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import type { LoadCheckpointRequest } from '../../../protocol/inference';
import type { RunFinishedNotification, TrainRequest } from '../../../protocol/training';
import { activateExtension, inWorkspace, nextEvent, predictionHover, until } from './helpers';

const TRAIN_TIMEOUT_MS = 150_000;

const isDashboardTab = (t: vscode.Tab): boolean =>
  t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('mlmDashboard');
const dashboardTab = (): vscode.Tab | undefined =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).find(isDashboardTab);

export function registerTrainingTests(): void {
  describe('MLM Studio: training', function () {
    this.timeout(TRAIN_TIMEOUT_MS + 30_000);
    let api: MlmStudioApi;
    let run: TrainRequest.Result | undefined;
    let finished: RunFinishedNotification.Params | undefined;

    before(async () => {
      ({ api } = await activateExtension());
      if (!api.ctx.running)
        await nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start');
    });

    it('Train MLM on train.mlm.json ends with a completed run on disk', async () => {
      const metrics: number[] = [];
      const sub = api.ctx.onMetrics((m) => metrics.push(...m.records.map((r) => r.step)));
      // Subscribe before starting: a tiny run can finish quickly.
      const done = new Promise<RunFinishedNotification.Params>((resolve) => {
        const s = api.ctx.onRunFinished((r) => {
          s.dispose();
          resolve(r);
        });
      });
      // The status item's texts while the backend said "training" (the StatusBar listener runs first).
      const trainingTexts: string[] = [];
      const statusSub = api.ctx.onDidChange(() => {
        if (api.ctx.status?.state === 'training') trainingTexts.push(api.statusText());
      });
      run = await vscode.commands.executeCommand<TrainRequest.Result>('mlm.train', {
        uri: inWorkspace('train.mlm.json'),
        openDashboard: true,
      });
      assert.ok(run?.runId, 'mlm.train resolved with a run id (see the MLM Studio output for why not)');
      finished = await Promise.race([
        done,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the run did not finish in time')), TRAIN_TIMEOUT_MS),
        ),
      ]);
      sub.dispose();
      statusSub.dispose();
      assert.equal(finished.runId, run.runId);
      assert.equal(finished.outcome, 'completed', finished.message);
      assert.equal(finished.step, 150);
      assert.ok(metrics.length > 0, 'mlm/metrics notifications arrived during the run');
      assert.ok(trainingTexts.length > 0, 'the status item was updated while training');
      assert.ok(
        trainingTexts.some((t) => /^\$\(pulse\) step \d+(\/150)?( · loss [\d.]+)?$/.test(t)),
        trainingTexts.join('\n'),
      );
      for (const f of ['config.json', 'metrics.jsonl', 'tokenizer.json']) {
        assert.ok(fs.existsSync(path.join(run.runDir, f)), `${f} in ${run.runDir}`);
      }
      const rows = fs.readFileSync(path.join(run.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
      assert.ok(
        rows.some((l) => JSON.parse(l).split === 'eval'),
        'metrics.jsonl has validation rows',
      );
      assert.ok(fs.readdirSync(path.join(run.runDir, 'checkpoints')).some((d) => d.startsWith('step-')));
    });

    it('opens the dashboard, which loads and receives the run metrics', async () => {
      await until(dashboardTab, 20_000, 'the dashboard tab');
      const info = await until(
        () => {
          const d = api.dashboard();
          return d.ready && ((d.posted.metrics ?? 0) > 0 || (d.posted.history ?? 0) > 0) && d;
        },
        30_000,
        'the dashboard webview to load and get metrics',
      );
      assert.equal(info.open, true);
      assert.equal(info.rejected, 0);
      assert.ok((info.posted.runFinished ?? 0) > 0, 'the end of the run was relayed to the dashboard');
      const ext = api.ctx.extension.extensionUri.toString();
      assert.deepEqual(
        info.localResourceRoots,
        [`${ext}/dist/media`],
        'the webview may load the media folder only',
      );
    });

    it('reliability: 25 webview hidden during training — restores the dashboard history when it is closed and reopened', async () => {
      const tab = dashboardTab();
      assert.ok(tab);
      await vscode.window.tabGroups.close(tab);
      await until(() => !api.dashboard().open, 10_000, 'the dashboard to close');
      await vscode.commands.executeCommand('mlm.openDashboard');
      const info = await until(
        () => {
          const d = api.dashboard();
          return d.ready && (d.posted.history ?? 0) > 0 && d;
        },
        30_000,
        'the reopened dashboard to receive the history from disk',
      );
      assert.ok((info.posted.runs ?? 0) > 0);
    });

    it('answers a hover on [MASK] with predictions that link to mlm.replaceMask', async () => {
      const texts = await predictionHover(
        inWorkspace('mask.txt'),
        new vscode.Position(0, 21),
        'a hover with predictions',
      );
      assert.doesNotMatch(texts, /No model/);
    });

    it('Load Checkpoint loads a run for fill-mask and the status names it', async () => {
      assert.ok(run, 'needs the run trained above');
      const loaded = await vscode.commands.executeCommand<LoadCheckpointRequest.Result>(
        'mlm.loadCheckpoint',
        run.runDir,
      );
      assert.ok(loaded?.dir, 'mlm.loadCheckpoint resolved with the loaded checkpoint');
      assert.ok(loaded.dir.startsWith(run.runDir), `${loaded.dir} is inside ${run.runDir}`);
      const model = await until(
        () => api.ctx.status?.model?.source === 'loaded' && api.ctx.status.model,
        10_000,
        'the status to report the loaded model',
        [api.ctx.onDidChange],
      );
      assert.equal(model.dir, loaded.dir);
    });

    it('Fill Mask at Cursor inserts the chosen prediction', async () => {
      const doc = await vscode.workspace.openTextDocument({
        language: 'plaintext',
        content: 'The cat sat on the [MASK] in the morning.\n',
      });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 21, 0, 21);
      const token = await vscode.commands.executeCommand<string>('mlm.fillMask', { choose: 0 });
      assert.ok(token, 'a token was chosen');
      assert.ok(!doc.getText().includes('[MASK]'), doc.getText());
      assert.ok(doc.getText().includes(token.replace(/^##/, '')), doc.getText());
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('mlm.replaceMask replaces the mask a hover row points at, and refuses a stale range', async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'a [MASK] b\n' });
      await vscode.window.showTextDocument(doc);
      const args = {
        uri: doc.uri.toString(),
        range: { start: { line: 0, character: 2 }, end: { line: 0, character: 8 } },
        token: 'dog',
      };
      assert.equal(await vscode.commands.executeCommand('mlm.replaceMask', args), true);
      assert.equal(doc.getText(), 'a dog b\n');
      // The same args again: the range no longer holds [MASK], so nothing changes.
      assert.equal(await vscode.commands.executeCommand('mlm.replaceMask', args), undefined);
      assert.equal(doc.getText(), 'a dog b\n');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });
  });
}
