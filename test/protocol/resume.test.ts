/**
 * Resume from VS Code, over the real pipe: a run interrupted by `shutdown` (a reload) is left interrupted, with its
 * final checkpoint when the save fit the budget; the next backend lists it with its resume point (mlm/runs), resumes
 * it from `mlm/train { resumeFrom }` alone, and its history (mlm/runMetrics) is one curve: each step once, time
 * never stepping back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type {
  MetricsNotification,
  RunFinishedNotification,
  RunMetricsRequest,
  RunsRequest,
  TrainRequest,
} from '../../protocol/training';
import { ensureBuilt, initialize, spawnServer, stopServer, tempWorkspace, TINY_RUN } from './harness';

const ENV = { MLM_GPU_POLL_MS: '1000', MLM_CORPUS_STABILITY_MS: '20' };

void describe('resume from VS Code', { timeout: 120_000 }, () => {
  let ws: string;
  void before(() => {
    ensureBuilt();
    ws = tempWorkspace();
  });
  void after(() => fs.rmSync(ws, { recursive: true, force: true }));

  void test('reliability: 28 reload within budget — resume from VS Code: shutdown leaves the run interrupted, mlm/runs offers its checkpoint, resumeFrom alone continues one curve', async () => {
    const first = spawnServer({ env: ENV });
    await initialize(first, ws);
    const run = await first.conn.sendRequest<TrainRequest.Result>('mlm/train', {
      config: { ...TINY_RUN, checkpoint: { every: 4, keepLast: 2 } },
    });
    await first.notes.next<MetricsNotification.Params>('mlm/metrics', (m) =>
      m.records.some((r) => r.split === 'train' && r.step >= 9),
    );
    await first.conn.sendRequest('shutdown');
    await first.conn.sendNotification('exit');
    assert.equal((await first.exited).code, 0);

    const second = spawnServer({ env: ENV });
    try {
      await initialize(second, ws);
      const { runs } = await second.conn.sendRequest<RunsRequest.Result>('mlm/runs', {});
      const listed = runs.find((r) => r.runId === run.runId);
      assert.equal(listed?.status, 'interrupted');
      const point = listed.resume;
      assert.ok(point, 'an interrupted run with a checkpoint has a resume point');
      assert.ok(point.checkpointStep >= 8 && point.checkpointStep <= point.lastStep, JSON.stringify(point));
      assert.equal(point.stepsLost, point.lastStep - point.checkpointStep);
      assert.deepEqual(listed.checkpoints.at(-1), point.checkpointStep);

      // A completed or unknown folder is not resumable by id alone; this one is.
      await assert.rejects(
        second.conn.sendRequest('mlm/train', { resumeFrom: `${ws}/nope` }),
        (e: Error & { code?: number }) =>
          e.code === MlmErrorCodes.InvalidParams || e.code === MlmErrorCodes.PathNotAllowed,
      );
      const resumed = await second.conn.sendRequest<TrainRequest.Result>('mlm/train', {
        resumeFrom: listed.dir,
      });
      assert.equal(resumed.runId, run.runId, 'the same run continues');
      const target = point.lastStep + 4;
      await second.notes.next<MetricsNotification.Params>('mlm/metrics', (m) =>
        m.records.some((r) => r.split === 'train' && r.step >= target),
      );
      const finished = second.notes.next<RunFinishedNotification.Params>('mlm/runFinished');
      await second.conn.sendRequest('mlm/stop', {});
      assert.equal((await finished).outcome, 'stopped');

      const page = await second.conn.sendRequest<RunMetricsRequest.Result>('mlm/runMetrics', {
        runId: run.runId,
      });
      const train = page.records.filter((r) => r.split === 'train');
      const steps = train.map((r) => r.step);
      assert.deepEqual(
        steps,
        Array.from({ length: steps.length }, (_, i) => i + 1),
        'each step once, no gap at the resume',
      );
      assert.ok(steps.length >= target);
      for (let i = 1; i < train.length; i++)
        assert.ok(train[i].time >= train[i - 1].time, `time at step ${i + 1}`);
      const after = await second.conn.sendRequest<RunsRequest.Result>('mlm/runs', {});
      assert.equal(after.runs.find((r) => r.runId === run.runId)?.status, 'stopped');
    } finally {
      await stopServer(second);
    }
  });
});
