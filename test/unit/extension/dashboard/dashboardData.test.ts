import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { finishedRunSummary } from '../../../../extension/dashboard/finished';
import {
  csvFileName,
  fetchRunMetrics,
  mergeRecords,
  runMetricsCsv,
} from '../../../../extension/dashboard/history';
import { smooth } from '../../../../media/dashboard/smoothing';
import { MAX_POINTS, MetricStore, alignSeries } from '../../../../media/dashboard/metricStore';
import type { MetricRecord } from '../../../../protocol/shared/metrics';
import type { RunMetricsRequest } from '../../../../protocol/training';
import { isHostToWebviewMessage } from '../../../../protocol/webview';

const row = (
  step: number,
  loss: number,
  split: 'train' | 'eval' = 'train',
  extra: Partial<MetricRecord> = {},
): MetricRecord => ({
  split,
  step,
  epoch: 0,
  time: step * 10,
  loss,
  ...extra,
});

void describe('metric history over mlm/runMetrics', () => {
  /** Pages over `rows` the way the backend does (rows with step ≥ fromStep, offset, limit). */
  const pager = (rows: MetricRecord[], limit: number) => {
    const asked: Array<{ fromStep?: number; offset?: number }> = [];
    const send = (p: RunMetricsRequest.Params): Promise<RunMetricsRequest.Result> => {
      asked.push({ fromStep: p.fromStep, offset: p.offset });
      const all = rows.filter((r) => r.step >= (p.fromStep ?? 0));
      const offset = p.offset ?? 0;
      const records = all.slice(offset, offset + limit);
      const next = offset + records.length;
      return Promise.resolve({
        runId: p.runId,
        records,
        total: all.length,
        ...(next < all.length && { nextOffset: next }),
      });
    };
    return { send, asked };
  };
  const rows = Array.from({ length: 10 }, (_, i) => row(i + 1, 10 - i));
  const table: Array<[string, number, number, number, number[], number]> = [
    // name, page size, maxRecords, fromStep, steps expected, requests expected
    ['one page', 20, 100, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1],
    ['three pages', 4, 100, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3],
    ['from step 7', 2, 100, 7, [7, 8, 9, 10], 2],
    ['only the newest 3, skipping ahead', 2, 3, 0, [8, 9, 10], 3],
    ['the newest 3 of one page', 20, 3, 0, [8, 9, 10], 1],
  ];
  for (const [name, limit, max, fromStep, steps, requests] of table) {
    void test(name, async () => {
      const p = pager(rows, limit);
      const got = await fetchRunMetrics(p.send, 'r1', max, fromStep);
      assert.deepEqual(
        got.map((r) => r.step),
        steps,
      );
      assert.equal(p.asked.length, requests);
    });
  }

  void test('CSV export: every row through all pages (no cap), METRIC_COLUMNS that occur', async () => {
    const many = Array.from({ length: 7 }, (_, i) => row(i + 1, 7 - i, 'train', i === 6 ? { lr: 0.5 } : {}));
    const p = pager(many, 3);
    const { csv, rows: n } = await runMetricsCsv(p.send, 'r1');
    assert.equal(n, 7);
    assert.equal(p.asked.length, 3);
    const lines = csv.split('\r\n');
    assert.deepEqual(lines.slice(0, 2), ['split,step,epoch,time,loss,lr', 'train,1,0,10,7,']);
    assert.equal(lines[7], 'train,7,0,70,1,0.5');
    assert.equal(lines.length, 9); // header, 7 rows, the empty string after the last CRLF
  });

  void test('CSV file name: the run id made safe for a file name', () => {
    assert.equal(csvFileName('2026-12-07_12-00-mini'), '2026-12-07_12-00-mini-metrics.csv');
    assert.equal(csvFileName('a/b\\c:d'), 'a_b_c_d-metrics.csv');
  });

  void test('merge: one row per (split, step), live rows win, sorted by step', () => {
    const merged = mergeRecords([row(1, 5), row(2, 4), row(2, 4.5, 'eval')], [row(2, 3.9), row(3, 3)]);
    assert.deepEqual(
      merged.map((r) => [r.split, r.step, r.loss]),
      [
        ['train', 1, 5],
        ['train', 2, 3.9],
        ['eval', 2, 4.5],
        ['train', 3, 3],
      ],
    );
  });
});

void describe('smoothing', () => {
  void test('weight 0 is the identity; the first point is not pulled towards zero (debiased)', () => {
    assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
    const s = smooth([4, 4, 4], 0.9);
    for (const v of s) assert.ok(Math.abs((v as number) - 4) < 1e-9);
  });
  void test('non-finite and missing values pass through without disturbing the average', () => {
    const s = smooth([2, NaN, null, 2], 0.5);
    assert.equal(s[0], 2);
    assert.ok(Number.isNaN(s[1] as number));
    assert.equal(s[2], null);
    assert.equal(s[3], 2);
  });
  void test('it smooths', () => {
    const s = smooth([0, 10], 0.5) as number[];
    assert.ok(s[1] > 0 && s[1] < 10);
  });
});

void describe('MetricStore and alignSeries', () => {
  void test('live rows replace a re-logged step and keep order', () => {
    const store = new MetricStore();
    store.add('a', [row(1, 5), row(3, 3)]);
    store.add('a', [row(2, 4), row(3, 2.5)]);
    assert.deepEqual(
      store.runs.get('a')!.train.map((r) => [r.step, r.loss]),
      [
        [1, 5],
        [2, 4],
        [3, 2.5],
      ],
    );
    assert.equal(store.latest('a', 'loss')?.step, 3);
  });

  void test('a long run is thinned, keeping the newest points', () => {
    const store = new MetricStore();
    store.add(
      'a',
      Array.from({ length: MAX_POINTS + 100 }, (_, i) => row(i, 1)),
    );
    const train = store.runs.get('a')!.train;
    assert.ok(train.length <= MAX_POINTS);
    assert.equal(train[train.length - 1].step, MAX_POINTS + 99);
  });

  void test('two runs on different steps align on the union of steps with nulls', () => {
    const store = new MetricStore();
    store.set('a', [row(1, 5), row(2, 4), row(2, 4.4, 'eval')]);
    store.set('b', [row(2, 6), row(4, 3)]);
    const data = alignSeries(
      store,
      [
        { runId: 'a', split: 'train', metric: 'loss' },
        { runId: 'a', split: 'eval', metric: 'loss' },
        { runId: 'b', split: 'train', metric: 'loss' },
      ],
      0,
      smooth,
    );
    assert.deepEqual(data.x, [1, 2, 4]);
    assert.deepEqual(data.ys, [
      [5, 4, null],
      [null, 4.4, null],
      [null, 6, 3],
    ]);
  });

  void test('rows without the metric are left out; non-finite values become gaps', () => {
    const store = new MetricStore();
    store.set('a', [row(1, 5, 'train', { lr: 0.1 }), row(2, Infinity), row(3, 2, 'train', { lr: 0.2 })]);
    assert.deepEqual(alignSeries(store, [{ runId: 'a', split: 'train', metric: 'lr' }], 0, smooth), {
      x: [1, 3],
      ys: [[0.1, 0.2]],
    });
    assert.deepEqual(alignSeries(store, [{ runId: 'a', split: 'train', metric: 'loss' }], 0, smooth).ys, [
      [5, null, 2],
    ]);
  });
});

void describe('finished run summary', () => {
  const base = {
    runId: 'r',
    runDir: '/r',
    outcome: 'completed' as const,
    step: 30,
    message: 'max steps reached',
  };
  void test('masking rates come from the trainer summary when all four are finite', () => {
    const rates = { targetRate: 0.149, maskRate: 0.797, randomRate: 0.102, keepRate: 0.1, targets: 1000 };
    const s = finishedRunSummary({ ...base, summary: { maskingRates: rates } });
    assert.deepEqual(s.maskingRates, {
      targetRate: 0.149,
      maskRate: 0.797,
      randomRate: 0.102,
      keepRate: 0.1,
    });
    assert.equal(isHostToWebviewMessage({ type: 'runFinished', finished: s }), true);
  });
  void test('a missing or malformed summary leaves the rates out', () => {
    for (const summary of [
      undefined,
      null,
      'x',
      { maskingRates: { targetRate: 0.1 } },
      { maskingRates: { targetRate: NaN, maskRate: 1, randomRate: 0, keepRate: 0 } },
    ]) {
      const s = finishedRunSummary({ ...base, summary });
      assert.equal(s.maskingRates, undefined, JSON.stringify(summary));
      assert.equal(isHostToWebviewMessage({ type: 'runFinished', finished: s }), true);
    }
  });
  void test('the guard rejects a bad outcome or rates', () => {
    const s = finishedRunSummary(base);
    assert.equal(
      isHostToWebviewMessage({ type: 'runFinished', finished: { ...s, outcome: 'exploded' } }),
      false,
    );
    assert.equal(
      isHostToWebviewMessage({ type: 'runFinished', finished: { ...s, maskingRates: { targetRate: '1' } } }),
      false,
    );
  });
});
