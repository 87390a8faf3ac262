/**
 * Resume from VS Code: a run whose backend is killed mid-run (a crash; a reload is the protocol test's shutdown) is
 * offered once for resuming when the backend is back, and MLM: Resume Run… continues it from its last complete
 * checkpoint to the end; its history over the protocol is one curve (each logged step once).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import {
  RunMetricsRequest,
  RunsRequest,
  type RunFinishedNotification,
  type TrainRequest,
} from '../../../protocol/training';

// By method name: this bundle's vscode-jsonrpc RequestType is not the extension bundle's.
const send = <R>(api: MlmStudioApi, method: string, params: object): Promise<R> =>
  api.ctx.requireClient().sendRequest<R>(method, params);
import { activateExtension, inWorkspace, nextEvent, until } from './helpers';

export function registerResumeTests(): void {
  describe('MLM Studio: resume', function () {
    this.timeout(240_000);
    let api: MlmStudioApi;

    before(async () => {
      ({ api } = await activateExtension());
      if (!api.ctx.running)
        await nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start');
    });

    it('reliability: 28 reload within budget — resume after a crash: offered once, Resume Run… continues the run as one curve', async () => {
      const run = await vscode.commands.executeCommand<TrainRequest.Result>('mlm.train', {
        uri: inWorkspace('train.mlm.json'),
        openDashboard: false,
      });
      assert.ok(run?.runId, 'mlm.train resolved with a run id');
      // Past the checkpoint at step 50 (train.mlm.json: checkpoint.every 50, logEvery 2).
      await nextEvent(
        api.ctx.onMetrics,
        (m) => m.runId === run.runId && m.records.some((r) => r.step >= 60),
        120_000,
        'step 60',
      );
      const old = api.ctx.serverPid;
      assert.ok(old);
      const restarted = nextEvent(
        api.ctx.onServerStarted,
        (pid) => pid !== undefined && pid !== old,
        30_000,
        'a new backend process',
      );
      process.kill(old, 'SIGKILL');
      await restarted;
      await until(() => api.resumeOffers().includes(run.runId), 20_000, 'the resume offer');
      const { runs } = await send<RunsRequest.Result>(api, RunsRequest.method, {
        runIds: [run.runId],
      });
      const point = runs[0]?.resume;
      assert.equal(runs[0]?.status, 'interrupted');
      assert.ok(point && point.checkpointStep >= 50 && point.lastStep >= 60, JSON.stringify(point));

      const done = new Promise<RunFinishedNotification.Params>((resolve) => {
        const s = api.ctx.onRunFinished((r) => {
          if (r.runId !== run.runId) return;
          s.dispose();
          resolve(r);
        });
      });
      const resumed = await vscode.commands.executeCommand<TrainRequest.Result>('mlm.resumeRun', {
        runId: run.runId,
        openDashboard: true,
      });
      assert.equal(resumed?.runId, run.runId, 'the same run continues');
      const finished = await done;
      assert.equal(finished.outcome, 'completed', finished.message);
      assert.equal(finished.step, 150);

      const page = await send<RunMetricsRequest.Result>(api, RunMetricsRequest.method, {
        runId: run.runId,
      });
      const steps = page.records.filter((r) => r.split === 'train').map((r) => r.step);
      assert.deepEqual(
        steps,
        Array.from({ length: 75 }, (_, i) => 2 * (i + 1)),
        'each logged step once',
      );
      // A backend restart does not offer it again (finished now, and offered already).
      const offers = api.resumeOffers().length;
      const again = nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to restart');
      await vscode.commands.executeCommand('mlm.restartServer');
      await again;
      assert.equal(api.resumeOffers().length, offers);
    });
  });
}
