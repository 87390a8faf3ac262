import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import type { Example } from '../../../../../server/ml/data/examples';
import { createModel } from '../../../../../server/ml/model';
import { initOutputBiasToPrior, unigramLogPrior } from '../../../../../server/ml/train/priorBias';
import type { ModelConfig } from '../../../../../server/ml/types';

const SPECIAL = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
/** [CLS] 5 5 5 6 [SEP] [PAD]: token 5 three times, 6 once, 7 never. */
const EXAMPLES: Example[] = [
  { ids: Int32Array.from([2, 5, 5, 5, 6, 3, 0]), length: 6, wordStart: new Uint8Array(7) },
];

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void describe('output-bias prior', () => {
  void test('log unigram frequencies, add-one smoothed, centred; specials lowest', () => {
    const p = unigramLogPrior(EXAMPLES, 8, SPECIAL);
    // counts 1 + [0,0,0,0,0,3,1,0] (specials not counted), total 8 + 4
    assert.ok(Math.abs(p[5] - p[6] - Math.log(4 / 2)) < 1e-6);
    assert.ok(Math.abs(p[6] - p[7] - Math.log(2 / 1)) < 1e-6);
    assert.ok(p[4] < p[7]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0)) < 1e-4);
  });

  const configs: ModelConfig[] = [
    {
      arch: 'bert',
      vocabSize: 8,
      hiddenSize: 8,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 16,
      maxPositionEmbeddings: 8,
      typeVocabSize: 2,
      hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0,
      layerNormEps: 1e-12,
      initializerRange: 0.02,
    },
    {
      arch: 'bigru',
      vocabSize: 8,
      embeddingDim: 4,
      gruUnits: 4,
      maxPositionEmbeddings: 8,
      dropout: 0,
      initializerRange: 0.02,
    },
  ];
  for (const config of configs) {
    void test(`${config.arch}: the output bias becomes the prior, without leaking tensors`, () => {
      const model = createModel(config, { seed: 1 });
      const before = tf.memory().numTensors;
      assert.equal(initOutputBiasToPrior(model, EXAMPLES, SPECIAL), true);
      assert.equal(tf.memory().numTensors, before);
      const name = config.arch === 'bert' ? 'cls.predictions.bias' : 'cls.decoder.bias';
      const got = model.variables.get(name)!.dataSync();
      const want = unigramLogPrior(EXAMPLES, 8, SPECIAL);
      for (let i = 0; i < 8; i++)
        assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `${i}: ${got[i]} vs ${want[i]}`);
      model.dispose();
    });
  }
});
