/** Task metrics against values computed by hand (the arithmetic is in the comments). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averageRanks,
  classificationMetrics,
  entitiesOf,
  multilabelMetrics,
  regressionMetrics,
  tokenMetrics,
} from '../../../../../server/ml/finetune/metrics';

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

void describe('classification', () => {
  void test('accuracy, per-class P/R/F1, macro-F1, confusion matrix', () => {
    // truth a a b b c, predicted a b b b a.
    const m = classificationMetrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ['a', 'b', 'c']);
    assert.deepEqual(m.confusion, [
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
    close(m.accuracy, 3 / 5, 'accuracy');
    // a: tp 1, fp 1 (c→a), fn 1 → P ½ R ½ F1 ½; b: tp 2, fp 1 → P ⅔ R 1 F1 0.8; c: nothing right → 0.
    assert.deepEqual(
      m.perClass.map((c) => [c.label, c.support]),
      [
        ['a', 2],
        ['b', 2],
        ['c', 1],
      ],
    );
    close(m.perClass[0].f1, 0.5, 'F1 a');
    close(m.perClass[1].precision, 2 / 3, 'P b');
    close(m.perClass[1].recall, 1, 'R b');
    close(m.perClass[1].f1, 0.8, 'F1 b');
    close(m.perClass[2].f1, 0, 'F1 c');
    close(m.macroF1, (0.5 + 0.8 + 0) / 3, 'macro-F1');
  });
  void test('a label never predicted nor present scores 0, not NaN', () => {
    const m = classificationMetrics([0, 0], [0, 0], ['a', 'b']);
    assert.equal(m.perClass[1].f1, 0);
    close(m.macroF1, 0.5, 'macro-F1');
  });
});

void describe('multilabel', () => {
  void test('micro / macro F1, per label, subset accuracy', () => {
    // label 0: tp 2 → F1 1; label 1: fp 1, fn 1 → F1 0; pooled tp 2 fp 1 fn 1 → micro-F1 ⅔; only row 3 exact.
    const m = multilabelMetrics(
      [
        [1, 0],
        [1, 1],
        [0, 0],
      ],
      [
        [1, 1],
        [1, 0],
        [0, 0],
      ],
      ['x', 'y'],
    );
    close(m.microF1, 2 / 3, 'micro');
    close(m.macroF1, 0.5, 'macro');
    close(m.perLabel[0].f1, 1, 'x');
    close(m.perLabel[1].f1, 0, 'y');
    close(m.subsetAccuracy, 1 / 3, 'subset');
  });
});

void describe('regression', () => {
  void test('MSE, MAE, Pearson, Spearman', () => {
    // errors 0 1 1 1 → MSE = MAE = ¾. Pearson: Σdt·dp = 5.5, Σdt² = 5, Σdp² = 8.75 → 5.5/√43.75.
    // Spearman: ranks of p = 1 3 2 4 against 1 2 3 4 → Σ = 4, 5, 5 → 0.8.
    const m = regressionMetrics([[1], [2], [3], [4]], [[1], [3], [2], [5]]);
    close(m.mse, 0.75, 'mse');
    close(m.mae, 0.75, 'mae');
    close(m.pearson, 5.5 / Math.sqrt(43.75), 'pearson');
    close(m.spearman, 0.8, 'spearman');
  });
  void test('ties share their average rank; a constant side gives r = 0', () => {
    assert.deepEqual(averageRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2]);
    assert.equal(regressionMetrics([[1], [2]], [[5], [5]]).pearson, 0);
  });
  void test('two targets: the mean of each target’s metric', () => {
    const m = regressionMetrics(
      [
        [0, 0],
        [0, 0],
      ],
      [
        [1, 0],
        [1, 0],
      ],
    );
    close(m.mse, 0.5, 'mse');
    close(m.mae, 0.5, 'mae');
  });
});

void describe('token classification (entities)', () => {
  const cases: Array<{ tags: string[]; want: Array<[string, number, number]> }> = [
    {
      tags: ['B-PER', 'I-PER', 'O', 'B-LOC'],
      want: [
        ['PER', 0, 2],
        ['LOC', 3, 4],
      ],
    },
    { tags: ['I-PER', 'I-PER', 'O'], want: [['PER', 0, 2]] }, // IOB1: I- after O starts an entity
    {
      tags: ['B-PER', 'I-LOC'],
      want: [
        ['PER', 0, 1],
        ['LOC', 1, 2],
      ],
    }, // a type change ends one
    {
      tags: ['B-PER', 'B-PER'],
      want: [
        ['PER', 0, 1],
        ['PER', 1, 2],
      ],
    },
    {
      tags: ['S-ORG', 'B-X', 'E-X'],
      want: [
        ['ORG', 0, 1],
        ['X', 1, 3],
      ],
    }, // IOBES
    { tags: ['O', 'O'], want: [] },
  ];
  for (const c of cases) {
    void test(`chunks ${c.tags.join(' ')}`, () => {
      assert.deepEqual(
        entitiesOf(c.tags).map((e) => [e.type, e.start, e.end]),
        c.want,
      );
    });
  }
  void test('entity-level P/R/F1 needs the exact span and type', () => {
    // truth PER(0-2) LOC(3-4); predicted PER(0-1) LOC(3-4) → tp 1, fp 1, fn 1.
    const m = tokenMetrics([['B-PER', 'I-PER', 'O', 'B-LOC']], [['B-PER', 'O', 'O', 'B-LOC']]);
    close(m.precision, 0.5, 'P');
    close(m.recall, 0.5, 'R');
    close(m.f1, 0.5, 'F1');
    close(m.tokenAccuracy, 3 / 4, 'token accuracy');
    assert.deepEqual(
      m.perType.map((t) => [t.label, t.f1]),
      [
        ['LOC', 1],
        ['PER', 0],
      ],
    );
  });
});
