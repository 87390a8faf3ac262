import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { fillMaskAll, modelScorer, type Scorer } from '../../../../../server/ml/infer/fillMask';
import { MAX_JOINT_MASKS, jointWindow } from '../../../../../server/ml/infer/joint';
import { replaceSpans } from '../../../../../server/ml/infer/sequence';
import { widen } from '../../../../../server/ml/infer/targets';
import { logSoftmaxAt } from '../../../../../server/ml/infer/topk';
import { logProbAt } from './logProb';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import type { MlmModel } from '../../../../../server/ml/types';
import { WordTokenizer } from './wordTokenizer';

/**
 * A fixture "model" given as conditional probabilities: the text "[MASK] [MASK] city" where each mask alone
 * prefers the first word of a different city (P(new) = .6 at the first mask, P(angeles) = .6 at the second), but
 * either word, once the other is filled, makes its partner almost certain. Filling the masks independently gives
 * the city that does not exist ("new angeles"); joint filling must give "new york", then "los angeles".
 */
const CITY = ['new', 'york', 'los', 'angeles', 'city', 'the'];
const cityTok = new WordTokenizer(CITY);
const id = (w: string): number => cityTok.tokenToId(w)!;
const MASK = cityTok.special.mask;

/** P(word at position `pos` | the other of positions 1, 2) as a table. */
function cityProbs(pos: number, other: number): Map<number, number> {
  const p = (entries: Array<[string, number]>): Map<number, number> =>
    new Map(entries.map(([w, x]) => [id(w), x]));
  if (pos === 1) {
    if (other === MASK)
      return p([
        ['new', 0.6],
        ['los', 0.4],
      ]);
    if (other === id('york'))
      return p([
        ['new', 0.98],
        ['los', 0.02],
      ]);
    if (other === id('angeles'))
      return p([
        ['los', 0.9],
        ['new', 0.1],
      ]);
    return p([['the', 1]]);
  }
  if (other === MASK)
    return p([
      ['angeles', 0.6],
      ['york', 0.4],
    ]);
  if (other === id('new'))
    return p([
      ['york', 0.98],
      ['angeles', 0.02],
    ]);
  if (other === id('los'))
    return p([
      ['angeles', 0.98],
      ['york', 0.02],
    ]);
  return p([['city', 1]]);
}

/** Logits whose softmax is the table (other words ~e^-30 relative). */
const cityScorer: Scorer = {
  maxPositions: 32,
  logits(ids, _attention, _batch, seqLen, positions) {
    const vocab = cityTok.vocabSize;
    const out = new Float32Array(positions.length * vocab).fill(-30);
    positions.forEach((flat, k) => {
      const b = Math.floor(flat / seqLen);
      const pos = flat - b * seqLen;
      const other = ids[b * seqLen + (pos === 1 ? 2 : 1)];
      for (const [w, x] of cityProbs(pos, other)) out[k * vocab + w] = Math.log(x);
    });
    return Promise.resolve(out);
  },
};

void describe('joint filling (fixture with known conditionals)', () => {
  void test('independent filling pairs the wrong halves; joint filling finds the real cities, ranked by PLL', async () => {
    const r = await fillMaskAll(cityScorer, cityTok, '[MASK] [MASK] city', { topK: 2, beam: 3 });
    assert.deepEqual(
      r.masks.map((m) => m[0].token),
      ['new', 'angeles'],
    );
    assert.ok(r.joint);
    assert.deepEqual(
      r.joint.slice(0, 2).map((j) => j.tokens),
      [
        ['new', 'york'],
        ['los', 'angeles'],
      ],
    );
    assert.equal(r.joint[0].sequence, 'new york city');
    // PLL = log P(new | york) + log P(york | new).
    assert.ok(Math.abs(r.joint[0].pll - (Math.log(0.98) + Math.log(0.98))) < 1e-4);
    assert.ok(Math.abs(r.joint[0].score - 0.98) < 1e-4);
    assert.ok(Math.abs(r.joint[1].pll - (Math.log(0.9) + Math.log(0.98))) < 1e-4);
    // The independent answer, if kept at all, ranks below both.
    const wrong = r.joint.findIndex((j) => j.tokens.join(' ') === 'new angeles');
    assert.ok(wrong === -1 || wrong >= 2);
  });

  void test('rows scored: the own pass is the first step, the last step gives the last PLL term, shared rows once', async () => {
    const rows: number[] = [];
    const counting: Scorer = {
      maxPositions: cityScorer.maxPositions,
      logits(ids, attention, batch, seqLen, positions) {
        rows.push(batch);
        return cityScorer.logits(ids, attention, batch, seqLen, positions);
      },
    };
    const r = await fillMaskAll(counting, cityTok, '[MASK] [MASK] city', { topK: 2, beam: 3 });
    assert.deepEqual(
      r.joint?.map((j) => j.tokens.join(' ')),
      ['new york', 'los angeles', 'new angeles'],
    );
    // 1 row: both masks' own lists, which is also step 1 (the first mask is filled with new / los / a third word);
    // 3 rows: step 2, the second mask of each path, whose log-probability is that mask's PLL term; then the PLL rows
    // of the first mask with the second filled: "[MASK] york" and "[MASK] angeles" (shared by two completions).
    // Before these were reused: 1 + 1 + 3 + 3 × 2 = 11 rows.
    assert.deepEqual(rows, [1, 3, 2]);
  });

  void test('beam 0 and a single mask: no joint completions', async () => {
    assert.equal(
      (await fillMaskAll(cityScorer, cityTok, '[MASK] [MASK] city', { beam: 0 })).joint,
      undefined,
    );
    assert.equal((await fillMaskAll(cityScorer, cityTok, 'new [MASK] city')).joint, undefined);
  });

  void test('targets restrict the joint candidates', async () => {
    const r = await fillMaskAll(cityScorer, cityTok, '[MASK] [MASK] city', {
      targets: ['los', 'angeles', 'york'],
    });
    assert.deepEqual(r.joint?.[0].tokens, ['los', 'angeles']);
  });

  void test(`more than ${MAX_JOINT_MASKS} masks: a note instead`, async () => {
    const text = Array.from({ length: MAX_JOINT_MASKS + 1 }, () => '[MASK]').join(' ');
    const r = await fillMaskAll(cityScorer, cityTok, text, { topK: 1 });
    assert.equal(r.joint, undefined);
    assert.match(r.jointNote ?? '', /at most 8 masks/);
  });
});

void describe('jointWindow and widen', () => {
  const ids = [2, ...Array.from({ length: 20 }, (_, i) => 10 + i), 3];
  const table = [
    { masks: [5, 8], max: 32, positions: [5, 8], len: 22 },
    { masks: [15, 18], max: 10, positions: [4, 7], len: 10 },
    { masks: [1, 3], max: 10, positions: [1, 3], len: 10 },
    { masks: [2, 15], max: 10, positions: undefined, len: 0 },
  ];
  for (const c of table) {
    void test(`masks ${c.masks.join(',')} in ${c.max} positions`, () => {
      const w = jointWindow(ids, c.masks, c.max, cityTok);
      assert.deepEqual(w?.positions, c.positions);
      if (!w) return;
      assert.equal(w.row.length, c.len);
      assert.equal(w.row[0], 2);
      assert.equal(w.row[w.row.length - 1], 3);
      c.masks.forEach((t, m) => assert.equal(w.row[w.positions[m]], ids[t]));
    });
  }
  const row = Int32Array.from([2, 10, 11, 4, 12, 13, 3]);
  const wtable = [
    { pos: 3, n: 2, max: 32, ids: [2, 10, 11, 4, 4, 12, 13, 3], at: 3 },
    { pos: 1, n: 3, max: 7, ids: [2, 4, 4, 4, 11, 4, 3], at: 1 },
    { pos: 5, n: 3, max: 7, ids: [2, 4, 12, 4, 4, 4, 3], at: 3 },
  ];
  for (const c of wtable) {
    void test(`widen ${c.n} at ${c.pos} to ≤ ${c.max}`, () => {
      const w = widen(c.pos === 5 ? Int32Array.from([2, 10, 11, 4, 12, 4, 3]) : row, c.pos, c.n, 4, c.max);
      assert.deepEqual(Array.from(w.ids), c.ids);
      assert.equal(w.at, c.at);
    });
  }
});

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'a', 'red', 'blue', 'un', '##happy', '##s'];
const tok = new WordTokenizer(WORDS);
let model: MlmModel;

void describe('joint filling and multi-piece targets on a BERT', () => {
  before(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    const c = bertPreset('tiny', tok.vocabSize, 16);
    model = createModel(
      { ...c, hiddenSize: 16, numAttentionHeads: 2, intermediateSize: 32, numHiddenLayers: 1 },
      { seed: 3 },
    );
  });

  void test("every completion's PLL is the sum of its tokens' log-probabilities, highest first", async () => {
    const text = 'the [MASK] sat on the [MASK]';
    const r = await fillMaskAll(modelScorer(model), tok, text, { beam: 4 });
    assert.equal(r.joint?.length, 4);
    const enc = tok.encode(text);
    const positions = [2, 6];
    for (const j of r.joint ?? []) {
      let pll = 0;
      positions.forEach((pos, m) => {
        const ids = Int32Array.from(enc.ids);
        positions.forEach((p, k) => k !== m && (ids[p] = j.ids[k]));
        const logits = tf.tidy(() =>
          model
            .logitsAt(ids, new Int32Array(ids.length).fill(1), 1, ids.length, Int32Array.of(pos))
            .dataSync(),
        ) as Float32Array;
        pll += logSoftmaxAt(logits, j.ids[m]);
      });
      assert.ok(Math.abs(j.pll - pll) < 1e-4, `${j.pll} vs ${pll}`);
      assert.equal(j.sequence, replaceSpans(text, [enc.offsets[2], enc.offsets[6]], j.tokens));
      // Special tokens are never a completion.
      assert.ok(j.ids.every((x) => x > 4));
    }
    const plls = (r.joint ?? []).map((j) => j.pll);
    assert.deepEqual(
      plls,
      [...plls].sort((a, b) => b - a),
    );
  });

  void test('a target of several pieces is scored by the chain of its pieces', async () => {
    // WordTokenizer splits nothing, so give the word as its pieces' tokens joined: the tokenizer maps "un##happy"
    // to [UNK]; use a real multi-piece word through a tokenizer that splits on "+".
    const split = Object.create(tok) as WordTokenizer;
    split.tokenToId = (t: string) => (t.includes('+') ? undefined : tok.tokenToId(t));
    split.encode = (text: string, opts?: { addSpecialTokens?: boolean }) =>
      tok.encode(text.includes('+') ? text.replace('+', ' ') : text, opts);
    const text = 'a [MASK] dog';
    const r = await fillMaskAll(modelScorer(model), split, text, { targets: ['un+##happy', 'red'], topK: 5 });
    const multi = r.masks[0].find((p) => p.pieces);
    assert.deepEqual(multi?.pieces, ['un', '##happy']);
    // P(un ##happy) = P(un | a [M] [M] dog) · P(##happy | a un [M] dog).
    const lp = (ids: number[], pos: number, want: number): number => logProbAt(model, ids, pos, want);
    const [cls, sep, m, a, dog, un, happy] = [
      2,
      3,
      4,
      tok.tokenToId('a')!,
      tok.tokenToId('dog')!,
      tok.tokenToId('un')!,
      tok.tokenToId('##happy')!,
    ];
    const want = Math.exp(lp([cls, a, m, m, dog, sep], 2, un) + lp([cls, a, un, m, dog, sep], 3, happy));
    assert.ok(Math.abs((multi?.score ?? 0) - want) < 1e-5);
    assert.equal(multi?.sequence, 'a un+##happy dog');
  });

  void test('joint filling and multi-piece targets leave no tensors behind', async () => {
    const s = modelScorer(model);
    await fillMaskAll(s, tok, 'the [MASK] [MASK] on a [MASK]');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      await fillMaskAll(s, tok, 'the [MASK] [MASK] on a [MASK]', { beam: 3 });
      await fillMaskAll(s, tok, 'a [MASK] dog', { targets: ['red', 'blue'] });
    }
    assert.equal(tf.memory().numTensors, before);
  });
});
