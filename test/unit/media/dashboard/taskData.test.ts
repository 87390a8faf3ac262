/**
 * The dashboard's task panel data (media/dashboard/taskData.ts): a run's newest task row and the confusion matrix's
 * row shares; a fine-tune eval row (classes, per-class F1, confusion matrix) passes the metric-row guard.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MetricStore } from '../../../../media/dashboard/metricStore';
import { latestTaskRow, rowShares } from '../../../../media/dashboard/taskData';
import { isMetricRecord, type MetricRecord } from '../../../../protocol/shared/metrics';

const evalRow = (step: number, extra: Partial<MetricRecord> = {}): MetricRecord => ({
  split: 'eval',
  step,
  epoch: 0,
  time: 0,
  loss: 1,
  ...extra,
});

void describe('dashboard task data', () => {
  void test('latestTaskRow: the newest eval row with classes; none for a pretraining run', () => {
    const store = new MetricStore();
    store.set('pre', [evalRow(5), evalRow(10)]);
    store.set('ft', [
      evalRow(4, {
        classes: ['a', 'b'],
        confusion: [
          [1, 0],
          [0, 1],
        ],
      }),
      evalRow(8, {
        classes: ['a', 'b'],
        confusion: [
          [2, 0],
          [1, 1],
        ],
      }),
      { split: 'train', step: 9, epoch: 0, time: 0, loss: 1 },
    ]);
    assert.equal(latestTaskRow(store, 'pre'), undefined);
    assert.equal(latestTaskRow(store, 'ft')?.step, 8);
    assert.equal(latestTaskRow(store, 'missing'), undefined);
  });

  const shares: Array<[string, number[][], number[][]]> = [
    [
      'rows sum to 1',
      [
        [3, 1],
        [0, 2],
      ],
      [
        [0.75, 0.25],
        [0, 1],
      ],
    ],
    [
      'an empty row stays 0',
      [
        [0, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [0.5, 0.5],
      ],
    ],
    [
      '3 classes',
      [
        [1, 1, 2],
        [0, 0, 0],
        [5, 0, 0],
      ],
      [
        [0.25, 0.25, 0.5],
        [0, 0, 0],
        [1, 0, 0],
      ],
    ],
  ];
  for (const [name, confusion, want] of shares)
    void test(`rowShares: ${name}`, () => assert.deepEqual(rowShares(confusion), want));

  void test('a fine-tune eval row passes the guard every history row crosses (mlm/runMetrics, webview messages)', () => {
    const r = evalRow(3, {
      accuracy: 0.5,
      macroF1: 0.4,
      classes: ['x', 'y'],
      classF1: [0.5, 0.3],
      confusion: [
        [1, 1],
        [1, 1],
      ],
    });
    assert.equal(isMetricRecord(r), true);
    assert.equal(isMetricRecord({ ...r, macroF1: 'high' }), false);
  });
});
