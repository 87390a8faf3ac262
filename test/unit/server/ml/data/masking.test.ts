import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Example } from '../../../../../server/ml/data/examples';
import { maskBatch, maskingRates } from '../../../../../server/ml/data/masking';
import { SeededRng, type Rng } from '../../../../../server/ml/data/rng';
import { evalBatches, evalMasking, TrainStream } from '../../../../../server/ml/data/stream';

const special = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const vocab = { vocabSize: 1000, special };
const bert = { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: false };

/** An rng that replays a script of values. */
class Script implements Rng {
  i = 0;
  constructor(private readonly values: number[]) {}
  next(): number {
    if (this.i >= this.values.length) throw new Error('script exhausted');
    return this.values[this.i++];
  }
}

function example(body: number[], seqLen: number, wordStart?: number[]): Example {
  const ids = new Int32Array(seqLen);
  ids.set([2, ...body, 3]);
  const ws = new Uint8Array(seqLen);
  ws.set([0, ...(wordStart ?? body.map(() => 1)), 0]);
  return { ids, length: body.length + 2, wordStart: ws };
}

void describe('masking', () => {
  void test('exact draws: select < p, then mask / random / keep by the second draw; specials and padding untouched', () => {
    // tokens 10 11 12 13: select 10 (mask), skip 11, select 12 (random → 0.5·1000 = 500), select 13 (keep)
    const rng = new Script([0.1, 0.5, /*11*/ 0.9, /*12*/ 0.01, 0.85, 0.5, /*13*/ 0.14, 0.95]);
    const { batch, counts } = maskBatch([example([10, 11, 12, 13], 8)], rng, bert, vocab);
    assert.equal(rng.i, 8, 'one selection draw per maskable token only');
    assert.deepEqual([...batch.inputIds], [2, 4, 11, 500, 13, 3, 0, 0]);
    assert.deepEqual([...batch.attentionMask], [1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual([...batch.maskedPositions], [1, 3, 4]);
    assert.deepEqual([...batch.labels], [10, 12, 13]);
    assert.deepEqual(counts, { candidates: 4, targets: 3, masked: 1, random: 1, kept: 1 });
  });

  void test('a random replacement is never a special token', () => {
    const rng = new Script([0, 0.85, 0.0041, 0.0011, 0.9]); // 4.1 → id 4 ([MASK]), 1.1 → id 1 ([UNK]) rejected
    const { batch } = maskBatch([example([10], 4)], rng, bert, vocab);
    assert.equal(batch.inputIds[1], 900);
  });

  void test('whole-word masking selects all pieces of a word with one draw', () => {
    // words: [10 ##11 ##12] [13]; select the first word, not the second
    const rng = new Script([0.05, 0.1, 0.1, 0.1, 0.9]);
    const { batch } = maskBatch(
      [example([10, 11, 12, 13], 8, [1, 0, 0, 1])],
      rng,
      { ...bert, wholeWord: true },
      vocab,
    );
    assert.deepEqual([...batch.maskedPositions], [1, 2, 3]);
    assert.deepEqual([...batch.inputIds.slice(0, 6)], [2, 4, 4, 4, 13, 3]);
  });

  void test('a batch always has at least one target when it has a maskable token', () => {
    const { batch } = maskBatch(
      [example([10, 11], 6)],
      new SeededRng(1),
      { ...bert, probability: 1e-9 },
      vocab,
    );
    assert.equal(batch.labels.length, 1);
  });

  void test('same seed → same batch; proportions within tolerance over 100k tokens', () => {
    const seqLen = 128;
    const examples: Example[] = [];
    const r = new SeededRng(3);
    for (let i = 0; i < 800; i++)
      examples.push(
        example(
          Array.from({ length: 126 }, () => 5 + r.int(995)),
          seqLen,
        ),
      );
    const a = maskBatch(examples, new SeededRng(9), bert, vocab);
    const b = maskBatch(examples, new SeededRng(9), bert, vocab);
    assert.deepEqual(a.batch, b.batch);
    assert.ok(a.counts.candidates >= 100_000);
    const rates = maskingRates(a.counts);
    assert.ok(Math.abs(rates.targetRate - 0.15) < 0.005, `target rate ${rates.targetRate}`);
    assert.ok(Math.abs(rates.maskRate - 0.8) < 0.01, `mask rate ${rates.maskRate}`);
    assert.ok(Math.abs(rates.randomRate - 0.1) < 0.01, `random rate ${rates.randomRate}`);
    assert.ok(Math.abs(rates.keepRate - 0.1) < 0.01, `keep rate ${rates.keepRate}`);
    for (let i = 0; i < a.batch.labels.length; i++) {
      const t = a.batch.maskedPositions[i] % seqLen;
      assert.ok(t > 0 && t < 127, 'never [CLS] / [SEP]');
    }
  });

  void test('configurable split: 100 % [MASK]', () => {
    const ex = [
      example(
        Array.from({ length: 200 }, (_, i) => 10 + i),
        202,
      ),
    ];
    const { counts } = maskBatch(
      ex,
      new SeededRng(5),
      { ...bert, maskFraction: 1, randomFraction: 0 },
      vocab,
    );
    assert.equal(counts.masked, counts.targets);
  });
});

void describe('train stream', () => {
  const examples = Array.from({ length: 10 }, (_, i) => example([10 + i, 20 + i, 30 + i], 6));
  void test('dynamic masking: a new order and new masks each epoch; resuming at a position replays exactly', () => {
    const s = new TrainStream(examples, 4, 1, bert, vocab);
    const epoch0 = [s.next(), s.next(), s.next()];
    assert.deepEqual(
      epoch0.map((b) => b.batch.batchSize),
      [4, 4, 2],
    );
    const pos = { ...s.pos };
    const next = [s.next(), s.next()];
    const resumed = new TrainStream(examples, 4, 1, bert, vocab, pos);
    assert.deepEqual([resumed.next(), resumed.next()], next);
    assert.equal(resumed.pos.epoch, 1);
    assert.notDeepEqual(next[0].batch.inputIds, epoch0[0].batch.inputIds);
  });
});

void describe('held-out masking', () => {
  void test('evaluation masks 15 % with 80/10/10 whatever the run trains with (the per-minute recipe trains at 30 %)', () => {
    const r = new SeededRng(4);
    const examples = Array.from({ length: 64 }, () =>
      example(
        Array.from({ length: 62 }, () => 5 + r.int(995)),
        64,
      ),
    );
    const trained = { probability: 0.3, maskFraction: 1, randomFraction: 0, wholeWord: true };
    assert.deepEqual(evalMasking(trained), { ...bert, wholeWord: true });
    const at = (m: typeof bert) => evalBatches(examples, 16, evalMasking(m), vocab, null);
    // The same targets and inputs as a run that trained with BERT's own masking (same fixed seed).
    assert.deepEqual(at({ ...trained, wholeWord: false }), at(bert));
    const targets = at(bert).reduce((s, b) => s + b.labels.length, 0);
    assert.ok(Math.abs(targets / (64 * 62) - 0.15) < 0.02, `target rate ${targets / (64 * 62)}`);
  });
});
