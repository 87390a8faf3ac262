import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FillMaskCache,
  fillCacheKey,
  MAX_CACHED_TEXT,
  type FillCacheKey,
} from '../../../../server/app/fillMaskCache';

const hover = (uri: string, version: number, text = 'a [MASK] b', start = 0): FillCacheKey => ({
  doc: { uri, version, start },
  text,
  topK: 5,
  maskToken: '[MASK]',
});
const plain = (text: string): FillCacheKey => ({ text, topK: 5, maskToken: '[MASK]' });

void describe('fillCacheKey', () => {
  const base = hover('file:///a', 1);
  const differ: Array<[string, FillCacheKey]> = [
    ['version', hover('file:///a', 2)],
    ['uri', hover('file:///b', 1)],
    ['window start', hover('file:///a', 1, 'a [MASK] b', 7)],
    ['window text', hover('file:///a', 1, 'a [MASK] c')],
    ['topK', { ...base, topK: 3 }],
    ['targets', { ...base, targets: ['x'] }],
    ['mask token', { ...base, maskToken: '<mask>' }],
    ['no document', plain('a [MASK] b')],
  ];
  for (const [what, other] of differ) {
    void test(`a different ${what} is a different key`, () =>
      assert.notEqual(fillCacheKey(other), fillCacheKey(base)));
  }
  void test('fields cannot run into each other', () =>
    assert.notEqual(
      fillCacheKey({ ...plain('b'), targets: ['a'] }),
      fillCacheKey({ ...plain('a","b'), targets: undefined }),
    ));
});

void describe('FillMaskCache', () => {
  void test('hit after set, miss otherwise; stats count both', () => {
    const c = new FillMaskCache<string>(4);
    assert.equal(c.get(hover('u', 1), 0), undefined);
    c.set(hover('u', 1), 0, 'v1');
    assert.equal(c.get(hover('u', 1), 0), 'v1');
    assert.equal(c.get(hover('u', 2), 0), undefined, 'the next version of the document misses');
    assert.deepEqual(c.stats, { hits: 1, misses: 2, size: 1 });
  });

  void test('least recently used goes first', () => {
    const c = new FillMaskCache<number>(3);
    for (const i of [1, 2, 3]) c.set(plain(`t${i}`), 0, i);
    assert.equal(c.get(plain('t1'), 0), 1, 't1 is now the most recent');
    c.set(plain('t4'), 0, 4);
    assert.equal(c.get(plain('t2'), 0), undefined, 't2 was the least recently used');
    for (const [t, v] of [
      ['t1', 1],
      ['t3', 3],
      ['t4', 4],
    ] as const) {
      assert.equal(c.get(plain(t), 0), v);
    }
    assert.equal(c.stats.size, 3);
  });

  void test('a newer model generation drops every entry; an older answer is not stored', () => {
    const c = new FillMaskCache<string>();
    c.set(plain('x'), 1, 'gen1');
    assert.equal(c.get(plain('x'), 2), undefined);
    assert.equal(c.stats.size, 0);
    c.set(plain('x'), 1, 'late answer of gen1');
    assert.equal(c.get(plain('x'), 2), undefined, 'a late answer of the old model is not cached');
    c.set(plain('x'), 2, 'gen2');
    assert.equal(c.get(plain('x'), 1), undefined, 'the old generation never sees the new entries');
    assert.equal(c.get(plain('x'), 2), 'gen2');
  });

  void test('forgetDocument drops that document only', () => {
    const c = new FillMaskCache<string>();
    c.set(hover('a', 1), 0, 'a1');
    c.set(hover('a', 1, 'other [MASK]', 20), 0, 'a1b');
    c.set(hover('b', 1), 0, 'b1');
    c.set(plain('a [MASK] b'), 0, 'plain');
    assert.equal(c.forgetDocument('a'), 2);
    assert.equal(c.get(hover('a', 1), 0), undefined);
    assert.equal(c.get(hover('b', 1), 0), 'b1');
    assert.equal(c.get(plain('a [MASK] b'), 0), 'plain');
  });

  void test('texts over MAX_CACHED_TEXT are not kept', () => {
    const c = new FillMaskCache<string>();
    const long = plain(`${'w '.repeat(MAX_CACHED_TEXT / 2)}[MASK]`);
    c.set(long, 0, 'big');
    assert.equal(c.get(long, 0), undefined);
    assert.equal(c.stats.size, 0);
  });
});
