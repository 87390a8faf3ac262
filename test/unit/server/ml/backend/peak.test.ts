import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { backendPeak, measureMatmulPeak } from '../../../../../server/ml/backend/peak';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

void describe('matMul peak', () => {
  void test('the cpu backend times the small product; the budget stops after 2 samples; no leak', async () => {
    const tensors = tf.memory().numTensors;
    const p = await measureMatmulPeak({ samples: 50, budgetMs: 1 });
    assert.equal(p.samples, 2, 'a 1 ms budget is spent by the warm-up: the minimum of 2 samples');
    assert.equal(p.shape, '[256, 256] · [256, 256]');
    assert.equal(p.backend, 'cpu');
    assert.ok(p.gflops > 0 && Number.isFinite(p.gflops));
    assert.equal(tf.memory().numTensors, tensors);
  });

  void test('backendPeak measures once per process for a backend and thread count', async () => {
    const a = await backendPeak({ samples: 2 });
    assert.equal(await backendPeak({ samples: 2 }), a, 'cached');
    assert.equal(a.threads, 1);
  });
});
