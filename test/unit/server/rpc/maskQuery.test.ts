/**
 * What Fill Mask at Cursor (mlm/fillMaskAt) asks the model and where each prediction goes: the target at the cursor,
 * the window around it (the hover's, for a mask) and the edit of each prediction.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TextRange } from '../../../../protocol/inference';
import {
  fillQuery,
  gapBeforeMask,
  locateTarget,
  maskAt,
  maskContext,
  padInsert,
  replacementFor,
} from '../../../../server/rpc/maskText';

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

/** Offset of (line, character) in text. */
const offsetOf = (text: string, line: number, character: number): number =>
  text.split('\n').slice(0, line).join('\n').length + (line > 0 ? 1 : 0) + character;

void describe('fillQuery', () => {
  void test('the paragraph around the cursor, stopping at blank lines; offsets point at the target mask', () => {
    const text = ['other paragraph', '', 'The cat', 'sat on the [MASK].', 'It purred.', '', 'next'].join(
      '\n',
    );
    const q = fillQuery(text, offsetOf(text, 3, 13), M);
    assert.equal(q.window.text, 'The cat\nsat on the [MASK].\nIt purred.');
    assert.equal(q.window.text.slice(q.window.mask[0], q.window.mask[1]), M);
    assert.deepEqual(q.target, [offsetOf(text, 3, 11), offsetOf(text, 3, 17)]);
    assert.equal(q.kind, 'mask');
  });

  void test('a word under the cursor becomes the mask; other masks stay', () => {
    const q = fillQuery('[MASK] cat sat', 12, M);
    assert.equal(q.window.text, '[MASK] cat [MASK]');
    assert.deepEqual(q.window.mask, [11, 17]);
    assert.deepEqual(q.target, [11, 14]);
    assert.equal(q.kind, 'word');
  });

  void test('an insertion point gets a mask of its own', () => {
    const q = fillQuery('the  sat', 4, M);
    assert.equal(q.window.text, 'the [MASK] sat');
    assert.equal(q.window.text.slice(q.window.mask[0], q.window.mask[1]), M);
    assert.deepEqual(q.target, [4, 4]);
    assert.equal(q.kind, 'insert');
  });

  void test('an inserted mask is padded to stand alone', () => {
    const q = fillQuery('(x)', 1, M);
    assert.equal(q.kind, 'word', 'next to a word the word is the target');
    const p = fillQuery('()', 1, M);
    assert.equal(p.kind, 'insert');
    assert.equal(p.window.text, '( [MASK] )');
    assert.deepEqual(p.pad, { left: ' ', right: ' ' });
  });

  void test('a mask gets the hover window, even in a long document (one window, one answer)', () => {
    const para = (i: number): string => `Paragraph ${i} line one\nand line two with words.`;
    const paras = Array.from({ length: 40 }, (_, i) =>
      i === 20 ? `${para(i)} The [MASK] ends it.` : para(i),
    );
    const long = `${'word '.repeat(1000)}[MASK]${' more'.repeat(1000)}`;
    for (const text of [paras.join('\n\n'), paras.join('\n'), long]) {
      const at = text.indexOf(M) + 2;
      const mask = maskAt(text, at, M)!;
      const q = fillQuery(text, at, M);
      assert.deepEqual(q.window, maskContext(text, mask));
      assert.deepEqual(q.target, mask);
    }
  });
});

void describe('replacementFor: where a prediction goes', () => {
  const range = (line: number, s: number, e: number): TextRange => ({
    start: { line, character: s },
    end: { line, character: e },
  });
  // [token, line text, target [start, end), kind] → [written text, start of the replaced range]
  const table: Array<[string, string, [number, number], 'mask' | 'insert', string, number]> = [
    ['##ing', 'walk[MASK]', [4, 10], 'mask', 'ing', 4],
    ['##ing', 'walk [MASK]', [5, 11], 'mask', 'ing', 4], // the gap goes: "walking"
    ['##', 'a [MASK]', [2, 8], 'mask', '##', 2], // a bare "##" is a token of its own
    ['dog', 'a [MASK]', [2, 8], 'mask', 'dog', 2],
    ['dog', 'ab', [1, 1], 'insert', ' dog ', 1],
    ['dog', 'a  b', [2, 2], 'insert', 'dog', 2],
    ['##s', 'cat |', [4, 4], 'insert', 's', 3],
  ];
  for (const [token, line, [s, e], kind, written, start] of table) {
    void test(`${token} at ${JSON.stringify(line)} [${s}, ${e})`, () => {
      const pad = kind === 'insert' ? padInsert(line, s) : undefined;
      const r = replacementFor(token, range(0, s, e), gapBeforeMask(line, s), pad);
      assert.deepEqual(r, { token: written, range: range(0, start, e) });
    });
  }
});
