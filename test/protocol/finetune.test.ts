/**
 * Fine-tuning over the real pipe: mlm/train with a run config that has a `task` section (the fixture reviews, the
 * tiny Hugging Face BERT as the start) → task metrics in mlm/metrics (macro-F1, per-class F1, the confusion matrix)
 * → mlm/runFinished with the best metrics → the run's model loaded as the task model (mlm/serverStatus) →
 * mlm/predict for texts and for a whole file (JSONL next to it, $/progress) → the rejections (bad task section,
 * missing files, no model, bad params).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { PredictRequest } from '../../protocol/finetune';
import type { ServerStatus } from '../../protocol/status';
import type { MetricsNotification, RunFinishedNotification, TrainRequest } from '../../protocol/training';
import { ROOT, startBackend, stopServer, type Spawned } from './harness';

const LABELS = ['negative', 'neutral', 'positive'];

void describe('fine-tuning over JSON-RPC', { timeout: 120_000 }, () => {
  let s: Spawned;
  let ws: string;
  let run: TrainRequest.Result;
  const init = path.join(ROOT, 'test/fixtures/hf-tiny-bert');
  const config = {
    name: 'reviews',
    task: { train: 'reviews.csv', init, maxLength: 32, evalEvery: 4, validationSplit: 0.3 },
    training: { batchSize: 8, maxSteps: 8, logEvery: 2, lr: 1e-3, seed: 1 },
  };

  void before(async () => {
    ({ s, ws } = await startBackend({
      fixture: 'finetune-workspace',
      spawn: { env: { MLM_GPU_POLL_MS: '60000', MLM_CORPUS_STABILITY_MS: '20' } },
    }));
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('predicting with no task model loaded is a NoModel error', async () => {
    await assert.rejects(s.conn.sendRequest('mlm/predict', { texts: ['good'] }), {
      code: MlmErrorCodes.NoModel,
    });
  });

  void test('a bad task section is rejected with the errors, before anything starts', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['unknown kind', { task: { ...config.task, kind: 'ranking' } }, /task\.kind must be one of/],
      ['no init', { task: { train: 'reviews.csv' } }, /task/],
      ['bad max length', { task: { ...config.task, maxLength: 2 } }, /task\.maxLength must be >= 8/],
      [
        'pretraining section',
        { ...config, model: { preset: 'mini' } },
        /model is not used by a fine-tune run/,
      ],
      [
        'missing train file',
        { task: { ...config.task, train: 'nope.csv' } },
        /task\.train .*nope\.csv does not exist/,
      ],
    ];
    for (const [what, cfg, re] of cases) {
      await assert.rejects(
        s.conn.sendRequest('mlm/train', { config: cfg }),
        (e: { code: number; message: string; data: { errors: string[] } }) => {
          assert.equal(e.code, MlmErrorCodes.InvalidRunConfig, what);
          assert.match(e.message, re, what);
          assert.ok(e.data.errors.length > 0, what);
          return true;
        },
      );
    }
  });

  void test('mlm/train with a task section fine-tunes: task metrics stream, the run finishes', async () => {
    run = await s.conn.sendRequest<TrainRequest.Result>('mlm/train', { config });
    assert.match(run.runId, /hf-tiny-bert-classification-reviews/);
    const done = await s.notes.next<RunFinishedNotification.Params>(
      'mlm/runFinished',
      (p) => p.runId === run.runId,
    );
    assert.equal(done.outcome, 'completed', done.message);
    assert.equal(done.step, 8);
    assert.equal(done.task, 'classification');
    assert.ok(done.bestMetrics && typeof done.bestMetrics.accuracy === 'number', JSON.stringify(done));
    assert.ok(typeof done.bestMetrics.macroF1 === 'number');
    const rows = s.notes
      .of<MetricsNotification.Params>('mlm/metrics')
      .filter((m) => m.runId === run.runId)
      .flatMap((m) => m.records);
    assert.ok(rows.some((r) => r.split === 'train' && r.step > 0 && Number.isFinite(r.loss)));
    const evals = rows.filter((r) => r.split === 'eval');
    assert.deepEqual(
      evals.map((r) => r.step),
      [4, 8],
    );
    for (const r of evals) {
      assert.deepEqual(r.classes, LABELS);
      assert.equal(r.classF1?.length, 3);
      assert.equal(r.confusion?.length, 3);
      // 30 % of 30 reviews, stratified: 9 held out, every one counted once in the confusion matrix.
      assert.equal(
        r.confusion!.flat().reduce((a, b) => a + b, 0),
        9,
      );
      assert.ok(r.accuracy! >= 0 && r.accuracy! <= 1 && r.macroF1! >= 0 && r.macroF1! <= 1);
    }
    assert.ok(fs.existsSync(path.join(run.runDir, 'finetune.json')));
  });

  void test('the finished run becomes the task model (mlm/serverStatus says so)', async () => {
    const st = await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.taskModel?.runId === run.runId);
    assert.equal(st.taskModel!.task, 'classification');
    assert.deepEqual(st.taskModel!.labels, LABELS);
  });

  void test('mlm/loadCheckpoint on the fine-tune run says to load it as a task model', async () => {
    await assert.rejects(
      s.conn.sendRequest('mlm/loadCheckpoint', { path: run.runDir }),
      (e: { code: number; message: string }) => {
        assert.equal(e.code, MlmErrorCodes.CheckpointNotFound);
        assert.match(e.message, /fine-tuned task model.*Load Task Model/);
        return true;
      },
    );
    const m = await s.conn.sendRequest<{ runId: string; task: string }>('mlm/loadTaskModel', {
      path: run.runDir,
    });
    assert.equal(m.runId, run.runId);
    assert.equal(m.task, 'classification');
  });

  void test('mlm/predict answers texts with a label and every probability', async () => {
    const r = await s.conn.sendRequest<PredictRequest.Result>('mlm/predict', {
      texts: ['the staff were kind', { text: 'cold soup' }],
    });
    assert.equal(r.model.runId, run.runId);
    assert.equal(r.predictions!.length, 2);
    for (const p of r.predictions!) {
      assert.equal(p.labels.length, 1);
      assert.ok(LABELS.includes(p.labels[0]));
      assert.deepEqual(p.scores.map((x) => x.label).sort(), LABELS);
      assert.ok(Math.abs(p.scores.reduce((a, x) => a + x.score, 0) - 1) < 1e-4);
      assert.equal(p.scores[0].label, p.labels[0]);
    }
  });

  void test('mlm/predict on a file writes JSONL next to it, with $/progress', async () => {
    const token = 'predict-1';
    const r = await s.conn.sendRequest<PredictRequest.Result>('mlm/predict', {
      file: 'comments.txt',
      workDoneToken: token,
    });
    const out = path.join(ws, 'comments.predictions.jsonl');
    assert.equal(r.file!.output, out);
    assert.equal(r.file!.count, 5);
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; labels: string[] });
    assert.deepEqual(
      lines.map((l) => l.line),
      [1, 2, 4, 5, 6],
    );
    const counted = Object.values(r.file!.labelCounts).reduce((a, b) => a + b, 0);
    assert.equal(counted, 5);
    const progress = s.notes
      .of<{ token: string; value: { kind: string; percentage?: number } }>('$/progress')
      .filter((p) => p.token === token)
      .map((p) => p.value);
    assert.equal(progress[0].kind, 'begin');
    assert.equal(progress.at(-1)!.kind, 'end');
    assert.ok(progress.some((v) => v.percentage === 100));
  });

  void test('mlm/predict rejects bad params and unreadable files, naming the cause', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{}, MlmErrorCodes.InvalidParams, /exactly one of/],
      [{ texts: [] }, MlmErrorCodes.InvalidParams, /texts must be an array/],
      [{ texts: [''] }, MlmErrorCodes.InvalidParams, /texts\[0\]/],
      [{ file: 'missing.txt' }, MlmErrorCodes.InvalidParams, /cannot read .*missing\.txt/],
      [{ texts: ['a'], model: 'nowhere' }, MlmErrorCodes.CheckpointNotFound, /nowhere/],
    ];
    for (const [params, code, re] of cases) {
      await assert.rejects(
        s.conn.sendRequest('mlm/predict', params),
        (e: { code: number; message: string }) => {
          assert.equal(e.code, code, JSON.stringify(params));
          assert.match(e.message, re);
          return true;
        },
      );
    }
  });
});
