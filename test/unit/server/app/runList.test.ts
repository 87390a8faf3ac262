/**
 * What clients see of the runs: mlm/runMetrics pages (from any step, rows a client would reject left out) and
 * mlm/runDetails (config, checkpoints with the best marked, outcome), on hand-made run folders.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../../../protocol/errors';
import { parseRunConfig } from '../../../../protocol/runConfig';
import { listRunInfos, runDetails, runMetricsPage } from '../../../../server/app/runList';

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-runlist-'));
const runs = path.join(ws, '.mlm', 'runs');
const row = (step: number, split = 'train') => ({ split, step, epoch: 0, time: step, loss: 5 - step / 10 });

function makeRun(
  id: string,
  opts: { metrics: string[]; checkpoints?: number[]; best?: number; error?: string; status?: string },
): string {
  const dir = path.join(runs, id);
  fs.mkdirSync(dir, { recursive: true });
  const parsed = parseRunConfig({ model: { preset: 'tiny' }, training: { maxSteps: 40 } });
  assert.ok(parsed.ok);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(parsed.config));
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({
      id,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      status: opts.status ?? (opts.error ? 'failed' : 'completed'),
      pid: 1,
      steps: 40,
      epochs: 1,
      lastTrain: row(40),
      ...(opts.error && { error: opts.error }),
    }),
  );
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), opts.metrics.join('\n'));
  for (const step of opts.checkpoints ?? []) {
    const c = path.join(dir, 'checkpoints', `step-${step}`);
    fs.mkdirSync(c, { recursive: true });
    fs.writeFileSync(path.join(c, 'COMPLETE'), 'x');
  }
  fs.mkdirSync(path.join(dir, 'checkpoints', 'step-99'), { recursive: true }); // incomplete: not listed
  if (opts.best !== undefined) {
    fs.writeFileSync(path.join(dir, 'checkpoints', 'best.json'), JSON.stringify({ step: opts.best }));
  }
  return dir;
}

const good = Array.from({ length: 12 }, (_, i) => JSON.stringify(row(i + 1, i % 4 === 3 ? 'eval' : 'train')));
makeRun('r1', {
  metrics: [
    ...good.slice(0, 6),
    '',
    JSON.stringify({ split: 'train', step: 'seven', epoch: 0, time: 0, loss: 1 }), // invalid: left out
    ...good.slice(6),
    '{"split":"train","step":13,"ep', // torn by a crash: left out
  ],
  checkpoints: [10, 20, 40],
  best: 20,
});
makeRun('r2', { metrics: [], error: 'out of memory: lower training.batchSize' });
void after(() => fs.rmSync(ws, { recursive: true, force: true }));

void describe('mlm/runMetrics pages', () => {
  const table: Array<[string, object, number[], number, number | undefined]> = [
    // name, params, steps returned, total, nextOffset
    ['everything', {}, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 12, undefined],
    ['a first page', { limit: 5 }, [1, 2, 3, 4, 5], 12, 5],
    ['a middle page', { limit: 5, offset: 5 }, [6, 7, 8, 9, 10], 12, 10],
    ['the last page', { limit: 5, offset: 10 }, [11, 12], 12, undefined],
    ['from step 9', { fromStep: 9 }, [9, 10, 11, 12], 4, undefined],
    ['from step 9, paged', { fromStep: 9, limit: 3 }, [9, 10, 11], 4, 3],
    ['past the end', { offset: 50 }, [], 12, undefined],
  ];
  for (const [name, params, steps, total, next] of table) {
    void test(name, () => {
      const r = runMetricsPage(ws, { runId: 'r1', ...params });
      assert.deepEqual(
        r.records.map((m) => m.step),
        steps,
      );
      assert.equal(r.total, total);
      assert.equal(r.nextOffset, next);
    });
  }
  const bad: Array<[string, object, RegExp]> = [
    ['an unknown run', { runId: 'nope' }, /no run nope in .*mlm\/runs/],
    ['a path for a run id', { runId: '../r1' }, /runId must be a run id/],
    ['..', { runId: '..' }, /runId must be a run id/],
    ['a limit of 0', { runId: 'r1', limit: 0 }, /limit must be an integer in 1\.\.20000, got 0/],
    ['a fractional offset', { runId: 'r1', offset: 1.5 }, /offset must be an integer/],
    ['a negative fromStep', { runId: 'r1', fromStep: -1 }, /fromStep must be an integer/],
  ];
  for (const [name, params, re] of bad) {
    void test(`refuses ${name}`, () => {
      assert.throws(
        () => runMetricsPage(ws, params as { runId: string }),
        (e: { code: number; message: string }) =>
          e.code === MlmErrorCodes.InvalidParams && re.test(e.message),
      );
    });
  }
});

void describe('mlm/runDetails', () => {
  void test('config, complete checkpoints with the best marked, last loss', () => {
    const d = runDetails(ws, 'r1', { runId: 'r1' });
    assert.equal(d.run.runId, 'r1');
    assert.equal(d.run.active, true);
    assert.equal(d.run.maxSteps, 40);
    assert.equal(d.run.lastLoss, row(40).loss);
    assert.equal(d.config?.model.preset, 'tiny');
    assert.deepEqual(
      d.checkpoints.map((c) => [c.step, c.best, path.relative(ws, c.dir)]),
      [
        [10, false, '.mlm/runs/r1/checkpoints/step-10'],
        [20, true, '.mlm/runs/r1/checkpoints/step-20'],
        [40, false, '.mlm/runs/r1/checkpoints/step-40'],
      ],
    );
    assert.equal(d.error, undefined);
  });
  void test("a failed run's error; no checkpoints", () => {
    const d = runDetails(ws, undefined, { runId: 'r2' });
    assert.equal(d.error, 'out of memory: lower training.batchSize');
    assert.deepEqual(d.checkpoints, []);
    assert.equal(d.run.active, false);
  });
  void test('an invalid config.json is reported, not thrown', () => {
    const dir = makeRun('r3', { metrics: [] });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ training: { lr: -1 } }));
    const d = runDetails(ws, undefined, { runId: 'r3' });
    assert.equal(d.config, null);
    assert.match(d.configError ?? '', /config\.json is invalid: training\.lr/);
  });
});

void describe('mlm/runs resume points', () => {
  // row(step).time = step ms: the interrupted process logged up to step 13; the checkpoints end at 10.
  const rows = Array.from({ length: 13 }, (_, i) => JSON.stringify(row(i + 1)));
  makeRun('i1', { metrics: rows, checkpoints: [5, 10], status: 'interrupted' });
  makeRun('i2', { metrics: rows, status: 'interrupted' }); // no complete checkpoint: nothing to resume from
  makeRun('i3', { metrics: rows.slice(0, 10), checkpoints: [10], status: 'stopped' });
  const table: Array<[string, string | undefined, object | undefined]> = [
    [
      'interrupted after its checkpoint',
      undefined,
      { checkpointStep: 10, lastStep: 13, stepsLost: 3, secondsLost: 0.003 },
    ],
    ['interrupted without a checkpoint', undefined, undefined],
    [
      'stopped at its checkpoint',
      undefined,
      { checkpointStep: 10, lastStep: 10, stepsLost: 0, secondsLost: 0 },
    ],
    ['completed', undefined, undefined],
    ['the active run', 'i1', undefined],
  ];
  const ids = ['i1', 'i2', 'i3', 'r1', 'i1'];
  table.forEach(([name, active, point], i) => {
    void test(`reliability: 28 reload within budget — resume point: ${name}`, () => {
      const { runs: listed } = listRunInfos(ws, active, { runIds: [ids[i]] });
      assert.deepEqual(listed[0].resume, point);
    });
  });
});
