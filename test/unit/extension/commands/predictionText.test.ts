/** A task model's prediction in words (messages) and markdown (the selection hover), for each task kind. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describePrediction, predictionMarkdown } from '../../../../extension/commands/predictionText';
import type { TaskModelInfo, TaskPrediction } from '../../../../protocol/shared/taskPrediction';

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
