/**
 * The task views' pure parts: the dashboard's task row and confusion-matrix shares (media/dashboard/taskData.ts), and
 * a prediction in words and markdown (extension/commands/predictionText.ts) for each task kind; the history replay
 * keeps a fine-tune eval row's classes, per-class F1 and confusion matrix.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describePrediction, predictionMarkdown } from '../../../extension/commands/predictionText';
import { parseMetricsJsonl } from '../../../extension/dashboard/history';
import { MetricStore } from '../../../media/dashboard/metricStore';
import { latestTaskRow, rowShares } from '../../../media/dashboard/taskData';
import type { MetricRecord } from '../../../protocol/shared/metrics';
import type { TaskModelInfo, TaskPrediction } from '../../../protocol/shared/taskPrediction';

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

  void test('metrics.jsonl replay keeps classes, classF1 and confusion', () => {
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
    const { records } = parseMetricsJsonl(JSON.stringify(r));
    assert.deepEqual(records, [r]);
  });
});

void describe('prediction text', () => {
  const model: TaskModelInfo = {
    dir: '/w/.mlm/runs/ft/checkpoints/step-8',
    runId: 'ft',
    step: 8,
    task: 'classification',
    labels: ['neg', 'pos'],
  };
  const cases: Array<[string, TaskPrediction, RegExp, RegExp]> = [
    [
      'classification',
      {
        text: 't',
        labels: ['pos'],
        scores: [
          { label: 'pos', score: 0.873 },
          { label: 'neg', score: 0.127 },
        ],
        truncated: false,
      },
      /^pos — pos 87\.3 % · neg 12\.7 %$/,
      /\*\*pos\*\*[\s\S]*\| pos \| 87\.3 % \|[\s\S]*\| neg \| 12\.7 % \|[\s\S]*\*ft @ step 8 \(classification\)\*/,
    ],
    [
      'multilabel with none over the threshold',
      { text: 't', labels: [], scores: [{ label: 'a', score: 0.4 }], truncated: true },
      /^\(no label over the threshold\) — a 40\.0 %$/,
      /the text was cut/,
    ],
    [
      'regression',
      { text: 't', labels: [], scores: [], values: [0.5, 1.25], truncated: false },
      /^0\.5000, 1\.2500$/,
      /\*\*0\.5000, 1\.2500\*\*/,
    ],
    [
      'token',
      {
        text: 'Ann in Rome',
        labels: [],
        scores: [],
        entities: [{ type: 'PER', start: 0, end: 3, text: 'Ann', score: 0.9 }],
        truncated: false,
      },
      /^PER "Ann" 90\.0 %$/,
      /\| PER \| Ann \| 90\.0 % \|/,
    ],
    [
      'a label that is markdown is escaped',
      { text: 't', labels: ['*b*'], scores: [{ label: '*b*', score: 1 }], truncated: false },
      /^\*b\* — \*b\* 100\.0 %$/,
      /\*\*\\\*b\\\*\*\*/,
    ],
  ];
  for (const [name, p, words, md] of cases) {
    void test(name, () => {
      assert.match(describePrediction(p), words);
      assert.match(predictionMarkdown(p, model), md);
    });
  }
});
