import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../../../../../server/ml/backend';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import { lossAndGrads, maxRelDiff, onBackend, tinyBatch } from '../model/modelFixtures';

let info: BackendInfo;
void before(async () => {
  info = await initBackend({ backend: 'wasm', threads: 2 });
});

// This file's process must also exit by itself: the pthreads are unref'd (else the test runner would hang).
void describe('threaded-SIMD wasm binary', () => {
  void test('starts with the threads asked for', () => {
    assert.equal(info.name, 'wasm');
    assert.equal(info.threads, 2, info.reasons.join('; '));
    assert.match(info.device, /WebAssembly SIMD, 2 threads/);
  });

  void test('a large product and a training step equal the cpu backend', async () => {
    const product = (): number[] =>
      tf.tidy(() => {
        const a = tf.tensor2d(
          Float32Array.from({ length: 256 * 300 }, (_, i) => Math.sin(i)),
          [256, 300],
        );
        const b = tf.tensor2d(
          Float32Array.from({ length: 300 * 200 }, (_, i) => Math.cos(i)),
          [300, 200],
        );
        return Array.from(tf.matMul(a, b).dataSync());
      });
    assert.ok(maxRelDiff(product(), await onBackend('cpu', product)) < 1e-4);
    const m = createModel(
      { ...bertPreset('tiny', 40, 16), hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 },
      { seed: 9 },
    );
    const batch = tinyBatch(2, 8, 40, 4);
    const wasm = await lossAndGrads(m, batch, true);
    const cpu = await onBackend('cpu', () => lossAndGrads(m, batch, true));
    for (const [name, g] of wasm.grads) assert.ok(maxRelDiff(g, cpu.grads.get(name)!) < 1e-4, name);
    m.dispose();
  });
});
