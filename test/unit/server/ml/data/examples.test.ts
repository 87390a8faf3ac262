import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildExamples } from '../../../../../server/ml/data/examples';
import { splitDocuments } from '../../../../../server/ml/data/split';
import { tinyTokenizer, VOCAB } from './dataHelpers';

const id = (t: string) => VOCAB.indexOf(t);
const tok = tinyTokenizer();
const [PAD, CLS, SEP] = [id('[PAD]'), id('[CLS]'), id('[SEP]')];

void describe('examples', () => {
  void test('chunk mode concatenates documents ([SEP] between) and cuts [CLS] … [SEP] pieces of seqLen', () => {
    const ex = buildExamples(tok, ['the cat sat', 'on the mat'], { seqLen: 6, mode: 'chunk' });
    assert.deepEqual(
      ex.map((e) => [...e.ids]),
      [
        [CLS, id('the'), id('cat'), id('sat'), id('[SEP]'), SEP],
        [CLS, id('on'), id('the'), id('mat'), SEP, PAD],
      ],
    );
    assert.deepEqual(
      ex.map((e) => e.length),
      [6, 5],
    );
  });

  void test('line mode: one padded example per non-empty line; long lines continue in the next example', () => {
    const ex = buildExamples(tok, ['the cat\n\nsat on the mat the cat'], { seqLen: 5, mode: 'line' });
    assert.deepEqual(
      ex.map((e) => [...e.ids]),
      [
        [CLS, id('the'), id('cat'), SEP, PAD],
        [CLS, id('sat'), id('on'), id('the'), SEP],
        [CLS, id('mat'), id('the'), id('cat'), SEP],
      ],
    );
  });

  void test('word starts mark the first piece of each word only', () => {
    const [ex] = buildExamples(tok, ['unbelievable cat'], { seqLen: 8, mode: 'chunk' });
    assert.deepEqual([...ex.ids.slice(0, 6)], [CLS, id('un'), id('##believ'), id('##able'), id('cat'), SEP]);
    assert.deepEqual([...ex.wordStart.slice(0, 6)], [0, 1, 0, 0, 1, 0]);
  });
});

void describe('document split', () => {
  const docs = Array.from({ length: 100 }, (_, i) => ({ id: `doc-${i}.txt#${i}` }));
  for (const [n, frac, expectVal] of [
    [100, 0.05, 5],
    [3, 0.05, 1],
    [1, 0.05, 0],
    [10, 0, 0],
  ] as const) {
    void test(`${n} docs at ${frac} → ${expectVal} held out, deterministic and disjoint`, () => {
      const d = docs.slice(0, n);
      const a = splitDocuments(d, frac, 42);
      const b = splitDocuments([...d].reverse(), frac, 42);
      assert.equal(a.validation.length, expectVal);
      assert.equal(a.train.length + a.validation.length, n);
      assert.deepEqual(a.validation.map((x) => x.id).sort(), b.validation.map((x) => x.id).sort());
      const v = new Set(a.validation);
      assert.ok(a.train.every((x) => !v.has(x)));
    });
  }
  void test('adding a document does not move the others', () => {
    const a = splitDocuments(docs.slice(0, 99), 0.05, 7);
    const b = splitDocuments(docs, 0.05, 7);
    const moved = a.validation.filter((x) => !b.validation.includes(x));
    assert.ok(moved.length <= 1, `moved ${moved.length}`);
  });
});
