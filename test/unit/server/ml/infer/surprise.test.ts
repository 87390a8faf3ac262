import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { modelScorer, type Scorer } from '../../../../../server/ml/infer/fillMask';
import { scoreWords } from '../../../../../server/ml/infer/surprise';
import { logProbAt } from './logProb';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import type { Encoding, MlmModel } from '../../../../../server/ml/types';
import { WordTokenizer } from './wordTokenizer';

/**
 * A count-based masked language model over a fixture corpus: the logit of a word at a masked position is the log of
 * how often it appeared between the same neighbours (trigram), after the left or before the right one (bigrams),
 * and at all (unigram), smoothed. A real (if small) MLM: a planted word that never appears in such a context must
 * come out as the most surprising word of its sentence.
 */
const CORPUS = [
  'the cat sat on the mat',
  'the dog sat on the rug',
  'the cat ran to the door',
  'the dog ran to the park',
  'a bird sang in the tree',
  'a bird sat in the tree',
  'the sun rose over the hill',
  'the moon rose over the sea',
  'we drank tea in the morning',
  'we drank milk in the evening',
];
const WORDS = [...new Set(CORPUS.join(' ').split(' '))];
const tok = new WordTokenizer(WORDS);

function countScorer(): Scorer {
  const tri = new Map<string, number>();
  const bi = new Map<string, number>();
  const uni = new Map<number, number>();
  const add = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  for (const s of CORPUS) {
    const ids = tok.encode(s).ids;
    for (let i = 1; i < ids.length - 1; i++) {
      add(tri, `${ids[i - 1]} ${ids[i]} ${ids[i + 1]}`);
      add(bi, `${ids[i - 1]} ${ids[i]} _`);
      add(bi, `_ ${ids[i]} ${ids[i + 1]}`);
      uni.set(ids[i], (uni.get(ids[i]) ?? 0) + 1);
    }
  }
  return {
    maxPositions: 64,
    logits(ids, _attention, _batch, _seqLen, positions) {
      const vocab = tok.vocabSize;
      const out = new Float32Array(positions.length * vocab);
      positions.forEach((flat, k) => {
        const l = ids[flat - 1];
        const r = ids[flat + 1]; // a masked word is never the last token ([SEP] is)
        for (let c = 0; c < vocab; c++) {
          const n =
            10 * (tri.get(`${l} ${c} ${r}`) ?? 0) +
            (bi.get(`${l} ${c} _`) ?? 0) +
            (bi.get(`_ ${c} ${r}`) ?? 0) +
            0.1 * (uni.get(c) ?? 0) +
            0.01;
          out[k * vocab + c] = Math.log(n);
        }
      });
      return Promise.resolve(out);
    },
  };
}

void describe('surprise scorer: a planted wrong word is the most surprising', () => {
  const scorer = countScorer();
  const table = [
    { text: 'the cat sat on the mat', planted: 'the cat sat on the tea', wrong: 'tea' },
    { text: 'a bird sang in the tree', planted: 'a bird sang in the milk', wrong: 'milk' },
    { text: 'we drank tea in the morning', planted: 'we drank tea over the morning', wrong: 'over' },
    { text: 'the moon rose over the sea', planted: 'the moon drank over the sea', wrong: 'drank' },
  ];
  for (const c of table) {
    void test(`"${c.planted}": "${c.wrong}" ranks first`, async () => {
      const r = await scoreWords(scorer, tok, c.planted);
      assert.equal(r.words.length, 6);
      const ranked = [...r.words].sort((a, b) => a.logProb - b.logProb);
      assert.equal(ranked[0].word, c.wrong);
      assert.equal(c.planted.slice(ranked[0].start, ranked[0].end), c.wrong);
      // The right word, in the original sentence, is far more likely than the planted one.
      const original = await scoreWords(scorer, tok, c.text);
      const at = r.words.indexOf(ranked[0]);
      assert.ok(original.words[at].logProb > ranked[0].logProb + 1);
      // What the model expected instead: the original word is among the alternatives.
      const expected = original.words[at].word;
      assert.ok(
        ranked[0].alternatives.some((a) => a.token === expected),
        JSON.stringify(ranked[0].alternatives),
      );
    });
  }
  void test('punctuation is not scored; paging with maxRows covers every word once', async () => {
    const text = 'the cat sat , on the mat .';
    const all = await scoreWords(scorer, tok, text);
    assert.deepEqual(
      all.words.map((w) => w.word),
      ['the', 'cat', 'sat', 'on', 'the', 'mat'],
    );
    const paged: string[] = [];
    let from: number | undefined = 0;
    while (from !== undefined) {
      const p = await scoreWords(scorer, tok, text, { fromWord: from, maxRows: 4 });
      assert.ok(p.words.length <= 4);
      paged.push(...p.words.map((w) => `${w.start}:${w.logProb}`));
      from = p.nextWord;
    }
    assert.deepEqual(
      paged,
      all.words.map((w) => `${w.start}:${w.logProb}`),
    );
  });
});

/** WordTokenizer whose words may be written as pieces joined by "+" ("un+##happy"): pieces share a word id. */
class PieceTokenizer extends WordTokenizer {
  override encode(text: string, opts: { addSpecialTokens?: boolean } = {}): Encoding {
    const enc: Encoding = { ids: [], tokens: [], offsets: [], wordIds: [] };
    const special = opts.addSpecialTokens ?? true;
    const push = (t: string, o: [number, number], w: number | null): void => {
      const id = this.tokenToId(t) ?? this.special.unk;
      enc.ids.push(id);
      enc.tokens.push(t);
      enc.offsets.push(o);
      enc.wordIds.push(w);
    };
    if (special) push('[CLS]', [0, 0], null);
    let word = 0;
    for (const m of text.matchAll(/\S+/g)) {
      let at = m.index;
      for (const piece of m[0].split('+')) {
        push(piece, [at, at + piece.length], word);
        at += piece.length + 1;
      }
      word++;
    }
    if (special) push('[SEP]', [0, 0], null);
    return enc;
  }
}

void describe('surprise scorer on a BERT', () => {
  const ptok = new PieceTokenizer(['the', 'cat', 'sat', 'on', 'mat', 'un', '##happy', 'dog', 'a']);
  let model: MlmModel;
  before(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    const c = bertPreset('tiny', ptok.vocabSize, 12);
    model = createModel(
      { ...c, hiddenSize: 16, numAttentionHeads: 2, intermediateSize: 32, numHiddenLayers: 1 },
      { seed: 5 },
    );
  });
  const lp = (ids: number[], pos: number, want: number): number => logProbAt(model, ids, pos, want);

  void test('a word of two pieces is masked whole and scored left to right', async () => {
    const r = await scoreWords(modelScorer(model), ptok, 'a un+##happy cat');
    assert.deepEqual(
      r.words.map((w) => w.word),
      ['a', 'un+##happy', 'cat'],
    );
    const id = (t: string): number => ptok.tokenToId(t)!;
    const [cls, sep, m] = [2, 3, 4];
    const want =
      lp([cls, id('a'), m, m, id('cat'), sep], 2, id('un')) +
      lp([cls, id('a'), id('un'), m, id('cat'), sep], 3, id('##happy'));
    assert.ok(Math.abs(r.words[1].logProb - want) < 1e-4);
    assert.ok(r.words[1].alternatives.every((a) => !a.token.startsWith('##') && a.token !== 'un'));
  });

  void test('a text longer than the model: each word scored in a window around it', async () => {
    const words = Array.from({ length: 20 }, (_, i) => ['the', 'cat', 'sat', 'on', 'mat'][i % 5]);
    const text = words.join(' ');
    const r = await scoreWords(modelScorer(model), ptok, text);
    assert.equal(r.words.length, 20);
    const ids = ptok.encode(text).ids; // 22 ids, the model sees 12
    // Word 10 (token 11): window content [6, 16), so [CLS] ids[6..16) [SEP], the word at 1 + 11 - 6 = 6.
    const row = [2, ...ids.slice(6, 16), 3];
    row[6] = 4;
    assert.ok(Math.abs(r.words[10].logProb - lp(row, 6, ids[11])) < 1e-4);
  });

  void test('scoring leaves no tensors behind', async () => {
    const s = modelScorer(model);
    await scoreWords(s, ptok, 'the cat sat on the mat');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++)
      await scoreWords(s, ptok, 'the un+##happy cat sat on the mat', { maxRows: 3 });
    assert.equal(tf.memory().numTensors, before);
  });
});
