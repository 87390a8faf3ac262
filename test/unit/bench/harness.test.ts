import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { benchText, benchTokenizer, syntheticWord } from '../../bench/syntheticVocab';
import { formatTable } from '../../bench/report';
import { quantile } from '../../bench/stats';
import { BENCH_SPECIAL, w1Batches } from '../../bench/trainingBatches';

void describe('bench harness', () => {
  for (const { samples, q, want } of [
    { samples: [3, 1, 2], q: 0.5, want: 2 },
    { samples: [4, 1, 3, 2], q: 0.5, want: 2.5 },
    { samples: [1, 2, 3, 4, 5], q: 0.95, want: 4.8 },
    { samples: [7], q: 0.95, want: 7 },
  ]) {
    void test(`quantile(${samples.join(',')}, ${q}) = ${want}`, () => {
      assert.ok(Math.abs(quantile(samples, q) - want) < 1e-12);
    });
  }

  void test('quantile of no samples names the fix', () => {
    assert.throws(() => quantile([], 0.5), /run at least one timed window/);
  });

  void test('formatTable pads columns into a Markdown table', () => {
    assert.equal(formatTable(['a', 'bb'], [['xyz', '1']]), '| a   | bb |\n|-----|----|\n| xyz | 1  |');
  });

  void test('W1 batches: seeded, 32×128, ~15 % targets, specials never targets', () => {
    const opts = { count: 2, batchSize: 32, seqLen: 128, vocabSize: 8192, seed: 5 };
    const [a, b] = w1Batches(opts);
    const [again] = w1Batches(opts);
    assert.deepEqual(again.maskedPositions, a.maskedPositions);
    assert.deepEqual(again.inputIds, a.inputIds);
    assert.notDeepEqual(b.maskedPositions, a.maskedPositions);
    const rate = a.labels.length / (32 * 126);
    assert.ok(rate > 0.12 && rate < 0.18, `target rate ${rate}`);
    for (const p of a.maskedPositions)
      assert.ok(p % 128 !== 0 && p % 128 !== 127, `target at special position ${p}`);
    const masked = [...a.maskedPositions].filter((p) => a.inputIds[p] === BENCH_SPECIAL.mask).length;
    assert.ok(masked / a.labels.length > 0.7 && masked / a.labels.length < 0.9);
  });

  void test('W2 text encodes to 32 tokens with one [MASK] and no [UNK]', () => {
    const tok = benchTokenizer(8192);
    assert.equal(tok.vocabSize, 8192);
    assert.equal(new Set(Array.from({ length: 8187 }, (_, i) => syntheticWord(i))).size, 8187);
    const ids = tok.encode(benchText(30, 7, 1234)).ids;
    assert.equal(ids.length, 32);
    assert.equal(ids.filter((id) => id === tok.special.mask).length, 1);
    assert.ok(!ids.includes(tok.special.unk));
  });
});
