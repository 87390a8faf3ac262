import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildMaskQuery, insertionText, locateTarget } from '../../../extension/commands/maskQuery';

const M = '[MASK]';

void describe('locateTarget', () => {
  const cases: Array<{ line: string; at: number; kind: string; start: number; end: number }> = [
    { line: 'the [MASK] sat', at: 4, kind: 'mask', start: 4, end: 10 },
    { line: 'the [MASK] sat', at: 10, kind: 'mask', start: 4, end: 10 },
    { line: '[MASK] and [MASK]', at: 13, kind: 'mask', start: 11, end: 17 },
    { line: 'the cat sat', at: 5, kind: 'word', start: 4, end: 7 },
    { line: 'naïve café', at: 7, kind: 'word', start: 6, end: 10 },
    { line: 'a  b', at: 2, kind: 'insert', start: 2, end: 2 },
    { line: '', at: 0, kind: 'insert', start: 0, end: 0 },
  ];
  for (const c of cases) {
    void test(`${JSON.stringify(c.line)} @${c.at}`, () => {
      assert.deepEqual(locateTarget(c.line, c.at, M), { kind: c.kind, start: c.start, end: c.end });
    });
  }
});

void describe('buildMaskQuery', () => {
  void test('the paragraph around the cursor, stopping at blank lines; offsets point at the target mask', () => {
    const lines = ['other paragraph', '', 'The cat', 'sat on the [MASK].', 'It purred.', '', 'next'];
    const q = buildMaskQuery(lines, 3, 13, M);
    assert.equal(q.text, 'The cat\nsat on the [MASK].\nIt purred.');
    assert.equal(q.text.slice(q.maskOffset[0], q.maskOffset[1]), M);
    assert.deepEqual(q.replace, { line: 3, start: 11, end: 17 });
    assert.equal(q.kind, 'mask');
  });

  void test('a word under the cursor becomes the mask; other masks stay', () => {
    const q = buildMaskQuery(['[MASK] cat sat'], 0, 12, M);
    assert.equal(q.text, '[MASK] cat [MASK]');
    assert.deepEqual(q.maskOffset, [11, 17]);
    assert.deepEqual(q.replace, { line: 0, start: 11, end: 14 });
    assert.equal(q.kind, 'word');
  });

  void test('an insertion point gets a mask of its own', () => {
    const q = buildMaskQuery(['the  sat'], 0, 4, M);
    assert.equal(q.text, 'the [MASK] sat');
    assert.equal(q.text.slice(q.maskOffset[0], q.maskOffset[1]), M);
    assert.equal(q.kind, 'insert');
  });

  void test('context is bounded to 10 lines on each side', () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i === 25 ? M : `line ${i}`));
    const q = buildMaskQuery(lines, 25, 0, M);
    assert.equal(q.text.split('\n').length, 21);
  });
});

void describe('insertionText', () => {
  void test('WordPiece continuations attach; inserted words get spaces', () => {
    assert.equal(insertionText('##ing', 'mask', 'walk[MASK]', 4), 'ing');
    assert.equal(insertionText('dog', 'mask', 'a [MASK]', 2), 'dog');
    assert.equal(insertionText('dog', 'insert', 'ab', 1), ' dog ');
    assert.equal(insertionText('dog', 'insert', 'a  b', 2), 'dog');
  });
});
