/** The run actions' Markdown reports and one-line summaries (extension/commands/actionReports.ts), as tables. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CoverageReportRequest, EvaluateRunRequest } from '../../../../protocol/actions';
import {
  coverageMarkdown,
  coverageSummary,
  evaluationMarkdown,
  evaluationSummary,
} from '../../../../extension/commands/actionReports';

const mlm: EvaluateRunRequest.Result = {
  runId: 'run-1',
  checkpoint: '/w/.mlm/runs/run-1/checkpoints/step-30',
  step: 30,
  elapsedMs: 1234,
  report: ['loss: 3.1234'],
  evaluation: {
    kind: 'mlm',
    source: 'the held-out split (1 of 3 files)',
    files: 1,
    examples: 4,
    seqLen: 32,
    loss: 3.125,
    accuracy: 0.412,
    perplexity: Math.exp(3.125),
    tokens: 20,
    baselineAccuracy: 0.125,
    baselineToken: 'the',
    maskSeed: 20240229,
  },
};

const task: EvaluateRunRequest.Result = {
  runId: 'ft',
  checkpoint: '/w/ft/checkpoints/step-8',
  elapsedMs: 10,
  report: [],
  evaluation: {
    kind: 'task',
    task: 'classification',
    file: 'reviews|eval.csv',
    examples: 5,
    skipped: 1,
    skippedReasons: ['line 3: unknown label "meh"'],
    truncated: 0,
    metrics: { loss: 0.5, accuracy: 0.8, macroF1: 0.75 },
    labels: ['neg', 'pos'],
    perLabel: [
      { label: 'neg', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { label: 'pos', precision: 0.75, recall: 1, f1: 6 / 7, support: 3 },
    ],
    confusion: [
      [1, 1],
      [0, 3],
    ],
  },
};

const coverage: CoverageReportRequest.Result = {
  runId: 'run-1',
  vocabSize: 745,
  lowercase: true,
  words: 10,
  distinctWords: 9,
  wholeWords: 8,
  unknownWords: 1,
  pieces: 14,
  fragmented: [{ word: 'floccinaucinihilipilification', count: 1, pieces: ['fl', '##oc', '##cin'] }],
  unknown: [{ word: 'a|b', count: 1, pieces: ['[UNK]'] }],
};

void describe('run action reports', () => {
  void test('an MLM evaluation: accuracy beside the unigram baseline, loss, perplexity', () => {
    assert.equal(
      evaluationSummary(mlm),
      'masked-token accuracy 41.20 % (unigram baseline 12.50 %), loss 3.1250, perplexity 22.76',
    );
    const md = evaluationMarkdown(mlm);
    for (const row of [
      '| masked-token accuracy | 41.20 % |',
      '| unigram baseline (always "the") | 12.50 % |',
      '| loss | 3.1250 |',
      '| perplexity | 22.76 |',
      '| masked tokens | 20 |',
    ])
      assert.ok(md.includes(row), `${row} in\n${md}`);
    assert.match(md, /\(step 30\) · 1\.2 s/);
    assert.match(md, /```text\nloss: 3\.1234\n```/);
  });

  void test('a task evaluation: metrics, per-label table, confusion matrix; pipes escaped', () => {
    assert.equal(evaluationSummary(task), 'loss 0.5000, accuracy 80.00 %, macroF1 0.7500');
    const md = evaluationMarkdown(task);
    for (const row of [
      '| accuracy | 80.00 % |',
      '| neg | 1.000 | 0.500 | 0.667 | 2 |',
      '| pos | 0.750 | 1.000 | 0.857 | 3 |',
      '| | neg | pos |',
      '| **neg** | 1 | 1 |',
      '| **pos** | 0 | 3 |',
    ])
      assert.ok(md.includes(row), `${row} in\n${md}`);
    assert.ok(md.includes('reviews\\|eval\\.csv'), md);
    assert.match(md, /1 rows skipped/);
  });

  void test('a coverage report: shares, pieces per word and the word tables', () => {
    assert.equal(
      coverageSummary(coverage),
      '80.0 % of 10 words kept whole, 1.40 pieces per word, 10.0 % [UNK]',
    );
    const md = coverageMarkdown(coverage, 'notes.txt');
    for (const row of [
      '| words | 10 (9 distinct) |',
      '| kept whole (one piece) | 80.0 % |',
      '| mean pieces per word | 1.400 |',
      '| floccinaucinihilipilification | 1 | `fl` `##oc` `##cin` |',
      '| a\\|b | 1 | `[UNK]` |',
    ])
      assert.ok(md.includes(row), `${row} in\n${md}`);
    const none = coverageMarkdown({ ...coverage, fragmented: [], unknown: [] }, 'x');
    assert.match(none, /No word of the text splits/);
  });
});
