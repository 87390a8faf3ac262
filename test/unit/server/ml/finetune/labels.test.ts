/** The label set's stable order, unknown labels in held-out data, and the seeded stratified split. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLabels, labelSet, stratifiedSplit } from '../../../../../server/ml/finetune/labels';
import type { TextExample, TokenExample } from '../../../../../server/ml/finetune/types';

void describe('labels', () => {
  const ex = (labels: string[], i = 0): TextExample => ({ where: `f:${i}`, text: 't', labels });
  void test('stable order: numbers numerically, then strings; the same whatever the row order', () => {
    const rows = [ex(['10']), ex(['b']), ex(['2']), ex(['A']), ex(['a'])];
    assert.deepEqual(labelSet('classification', rows), ['2', '10', 'A', 'a', 'b']);
    assert.deepEqual(labelSet('classification', [...rows].reverse()), ['2', '10', 'A', 'a', 'b']);
  });
  void test('the label set covers every split; token tags put "O" first', () => {
    assert.deepEqual(labelSet('classification', [ex(['x'])], [ex(['y'])]), ['x', 'y']);
    const t: TokenExample = { where: 'f:1', words: ['a', 'b', 'c'], tags: ['B-PER', 'O', 'I-PER'] };
    assert.deepEqual(labelSet('token', [t]), ['O', 'B-PER', 'I-PER']);
  });
  void test('unknown labels in eval data become bad rows', () => {
    const { kept, bad } = checkLabels([ex(['x'], 1), ex(['z'], 2)], ['x', 'y']);
    assert.equal(kept.length, 1);
    assert.deepEqual(bad, [{ where: 'f:2', reason: 'unknown label "z" (the model knows 2: x, y)' }]);
  });
});

void describe('stratified split', () => {
  const rows: TextExample[] = [];
  for (let i = 0; i < 60; i++)
    rows.push({ where: `f:${i}`, text: `t${i}`, labels: [i < 40 ? 'a' : i < 58 ? 'b' : 'c'] });
  void test('keeps each label share, seeded, disjoint and complete', () => {
    const s = stratifiedSplit('classification', rows, 0.1, 7);
    const count = (xs: TextExample[], l: string) => xs.filter((x) => x.labels[0] === l).length;
    // 60 × 10 % = 6: a 40 → 4, b 18 → 1.8 → 1 + the largest remainder (0.8) → 2, c 2 → 0.2 → 0.
    assert.deepEqual([count(s.eval, 'a'), count(s.eval, 'b'), count(s.eval, 'c')], [4, 2, 0]);
    assert.equal(s.train.length + s.eval.length, 60);
    assert.equal(new Set([...s.train, ...s.eval]).size, 60);
    assert.deepEqual(stratifiedSplit('classification', rows, 0.1, 7), s);
    assert.notDeepEqual(stratifiedSplit('classification', rows, 0.1, 8).eval, s.eval);
  });
  void test('fraction 0 or one example: no held-out set', () => {
    assert.equal(stratifiedSplit('classification', rows, 0, 1).eval.length, 0);
    assert.equal(stratifiedSplit('classification', rows.slice(0, 1), 0.5, 1).eval.length, 0);
  });
  void test('a label with a single example stays in training', () => {
    const s = stratifiedSplit(
      'classification',
      [...rows.slice(0, 10), { where: 'f:x', text: 'x', labels: ['solo'] }],
      0.5,
      1,
    );
    assert.ok(s.train.some((e) => e.labels[0] === 'solo'));
  });
});
