import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { surprisePassages } from '../../../../server/rpc/surpriseText';

void describe('surprisePassages', () => {
  const text = 'First para one.\n\nSecond para. It has two sentences.\n\n  \n\nThird.';
  void test('one passage per paragraph; blank ones skipped', () => {
    assert.deepEqual(
      surprisePassages(text).map((p) => p.text),
      ['First para one.', 'Second para. It has two sentences.', 'Third.'],
    );
    for (const p of surprisePassages(text))
      assert.equal(text.slice(p.start, p.start + p.text.length), p.text);
  });
  void test('only the paragraphs overlapping the ranges', () => {
    const at = text.indexOf('It has');
    assert.deepEqual(
      surprisePassages(text, [[at, at + 3]]).map((p) => p.text),
      ['Second para. It has two sentences.'],
    );
  });
  const table = [
    { text: 'One two. Three four. Five six.', max: 20, want: ['One two. ', 'Three four. ', 'Five six.'] },
    { text: 'One two. Three four. Five six.', max: 25, want: ['One two. Three four. ', 'Five six.'] },
    { text: 'aaaa bbbb cccc dddd', max: 10, want: ['aaaa bbbb ', 'cccc dddd'] },
  ];
  for (const c of table) {
    void test(`a long paragraph in pieces of ≤ ${c.max}: ${JSON.stringify(c.text)}`, () => {
      const ps = surprisePassages(c.text, undefined, c.max);
      assert.deepEqual(
        ps.map((p) => p.text),
        c.want,
      );
      assert.ok(ps.every((p) => p.text.length <= c.max));
    });
  }
});
