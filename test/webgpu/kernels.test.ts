/**
 * Our webgpu kernels and the stock ones the models rely on, against the cpu backend (forward and gradient,
 * within 1e-4 relative).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamW, hasFusedAdamW } from '../../server/ml/kernels/fusedAdamW';
import { hasFusedGelu } from '../../server/ml/kernels/gelu';
import { addLayerNormKernel, hasFusedLayerNorm } from '../../server/ml/kernels/layerNorm';
import { hasSelfAttentionKernel, selfAttentionKernel } from '../../server/ml/kernels/selfAttention';
import { customWebgpuKernelNames } from '../../server/ml/kernels/webgpu';
import { hasMaskedXent } from '../../server/ml/kernels/webgpu/maskedXent';
import { attentionComposite } from '../../server/ml/model/attention';
import { gelu, layerNorm, sparseCrossEntropy } from '../../server/ml/model/ops';
import { maxRelDiff, onCpu, startWebgpu } from './helpers';

void before(async () => {
  await startWebgpu();
});

/** Values of f() on the active backend, read asynchronously; the tensor count is unchanged. */
async function values(f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  const before = tf.memory().numTensors;
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const v = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(list);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  return v;
}

const ramp = (shape: number[], k: number): tf.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k) * (1 + k / 10)),
    shape,
  );
};

void describe('webgpu kernels = cpu', () => {
  void test('ours: AddN, the masked cross-entropy, GELU, LayerNorm and AdamW (forward and gradient)', () => {
    assert.deepEqual(customWebgpuKernelNames(), [
      'AddN',
      'MlmMaskedXent',
      'MlmMaskedXentGrad',
      'MlmGelu',
      'MlmGeluGrad',
      'MlmLayerNorm',
      'MlmLayerNormGrad',
      'MlmAdamW',
      'MlmSelfAttention',
    ]);
    assert.ok(hasMaskedXent(614), 'sparseCrossEntropy takes the fused path on webgpu');
    assert.ok(hasFusedGelu() && hasFusedLayerNorm() && hasFusedAdamW(), 'the model and AdamW take ours');
    assert.ok(
      hasSelfAttentionKernel(512) && !hasSelfAttentionKernel(1025),
      'inference attention up to 1024 keys',
    );
  });

  // GELU: small and large magnitudes (the erfc tail, the ±12.5 clamp), sizes that are not a workgroup multiple.
  for (const [shape, scale] of [
    [[3, 5], 1],
    [[7, 130], 4],
    [[2, 3, 50], 15],
  ] as Array<[number[], number]>) {
    void test(`GELU [${shape}] ×${scale} (WGSL): value and gradient = cpu's fused kernel`, async () => {
      const f = () => {
        const x = tf.mul(ramp(shape, 2), scale);
        const w = ramp(shape, 5);
        return [gelu(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)))(x)];
      };
      const gpu = await values(f);
      const cpu = await onCpu(() => values(f));
      gpu.forEach((g, i) => assert.ok(maxRelDiff(g, cpu[i]) < 1e-4, `output ${i}: ${maxRelDiff(g, cpu[i])}`));
    });
  }

  // LayerNorm rows × width: one row; more columns than the row block (256) and rows than a gradient chunk (64).
  for (const [n, h] of [
    [1, 8],
    [5, 32],
    [130, 300],
    [3, 1000],
  ]) {
    void test(`LayerNorm [${n}, ${h}] (WGSL): value, dx, dgamma, dbeta and the residual form = cpu`, async () => {
      const f = () => {
        const x = tf.add(tf.mul(ramp([n, h], 1), 3), 0.5) as tf.Tensor2D; // offset: the mean matters
        const res = ramp([n, h], 6) as tf.Tensor2D;
        const gamma = tf.add(ramp([h], 3), 1) as tf.Tensor1D;
        const beta = ramp([h], 4) as tf.Tensor1D;
        const w = ramp([n, h], 7);
        const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(layerNorm(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12), w)),
        )([x, gamma, beta]);
        return [layerNorm(x, gamma, beta, 1e-12), ...grads, addLayerNormKernel(x, res, gamma, beta, 1e-5)];
      };
      const gpu = await values(f);
      const cpu = await onCpu(() => values(f));
      gpu.forEach((g, i) => assert.ok(maxRelDiff(g, cpu[i]) < 1e-4, `output ${i}: ${maxRelDiff(g, cpu[i])}`));
    });
  }

  // Self-attention (inference): keys past one workgroup (300 > 256), padding masked, the three input forms.
  for (const [b, t, heads, hidden] of [
    [2, 7, 2, 8],
    [1, 300, 2, 16],
    [3, 16, 4, 32],
  ]) {
    void test(`self-attention b ${b}, t ${t}, ${heads} heads, hidden ${hidden} (WGSL) = cpu's composite`, async () => {
      const attrs = { batchSize: b, seqLen: t, heads };
      const ids = Int32Array.from([0, b * t - 1, Math.floor((b * t) / 2)]);
      const f = (kernel: boolean) => () => {
        const qkv = ramp([b * t, 3 * hidden], 2) as tf.Tensor2D;
        const bias = Float32Array.from({ length: b * t }, (_, i) => (i % t >= t - 2 ? -1e9 : 0)); // last 2 padded
        const mask = tf.tensor2d(bias, [b, t]);
        const rows = tf.tensor1d(ids, 'int32');
        const [q, kv] = tf.split(qkv, [hidden, 2 * hidden], 1) as tf.Tensor2D[];
        const shape = { ...attrs, dropoutRate: 0, dropout: (p: tf.Tensor4D) => p };
        if (!kernel) {
          const full = attentionComposite(qkv, mask, shape);
          return [
            full,
            attentionComposite(qkv, undefined, shape),
            tf.gather(full, rows),
            tf.gather(full, rows),
          ];
        }
        return [
          selfAttentionKernel(qkv, mask, attrs),
          selfAttentionKernel(qkv, undefined, attrs),
          selfAttentionKernel(qkv, mask, attrs, rows),
          selfAttentionKernel(kv, mask, attrs, rows, tf.gather(q, rows)),
        ];
      };
      const gpu = await values(f(true));
      const cpu = await onCpu(() => values(f(false)));
      gpu.forEach((g, i) => assert.ok(maxRelDiff(g, cpu[i]) < 1e-4, `output ${i}: ${maxRelDiff(g, cpu[i])}`));
    });
  }

  void test('AdamW update (WGSL) = cpu: p, m, v with decay and gradient scaling', async () => {
    const attrs = {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-6,
      decay: 1 - 1e-3 * 0.01,
      stepSize: 1e-3 / 0.271,
      bc2Sqrt: Math.sqrt(1 - 0.999 ** 3),
      gradScale: 0.7,
    };
    const f = () => {
      const p = ramp([37, 11], 1);
      const m = tf.mul(ramp([37, 11], 2), 0.01);
      const v = tf.mul(tf.square(ramp([37, 11], 3)), 1e-4);
      const g = ramp([37, 11], 4);
      return fusedAdamW(p, m, v, g, attrs);
    };
    const gpu = await values(f);
    const cpu = await onCpu(() => values(f));
    assert.equal(gpu.length, 3);
    gpu.forEach((g, i) => assert.ok(maxRelDiff(g, cpu[i]) < 1e-4, `output ${i}: ${maxRelDiff(g, cpu[i])}`));
  });

  // Rows × vocabulary: fewer columns than the row block (256), not a multiple of it, several blocks per row;
  // a large logit scale checks the max subtraction (exp would overflow without it).
  const xentCases: Array<[number, number, number]> = [
    [1, 7, 1],
    [5, 300, 1],
    [37, 1000, 1],
    [4, 513, 60],
  ];
  for (const [n, v, scale] of xentCases) {
    void test(`masked cross-entropy [${n}, ${v}] ×${scale}: loss and gradient (WGSL) = cpu's tf ops`, async () => {
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 3) % v);
      const f = () => {
        const x = tf.mul(ramp([n, v], n), scale) as tf.Tensor2D;
        const g = tf.grad((t: tf.Tensor) => tf.mul(sparseCrossEntropy(t as tf.Tensor2D, labels), 3))(x);
        return [sparseCrossEntropy(x, labels), g];
      };
      const gpu = await values(f);
      const cpu = await onCpu(() => values(f));
      // Relative to the loss; the gradient's entries are ≤ 3 / n: absolute 1e-4 / n is within 1e-4 of them.
      assert.ok(maxRelDiff(gpu[0], cpu[0]) < 1e-4, `loss ${gpu[0][0]} vs ${cpu[0][0]}`);
      assert.ok(maxRelDiff(gpu[1], cpu[1]) < 1e-4 / n, `gradient: ${maxRelDiff(gpu[1], cpu[1])}`);
      assert.ok(cpu[0][0] > 0.5, 'a non-trivial loss');
    });
  }

  for (const n of [2, 7, 8, 15, 16, 31, 40]) {
    void test(`AddN of ${n} tensors, and its gradient`, async () => {
      const f = () => {
        const xs = Array.from({ length: n }, (_, k) => ramp([3, 5], k));
        const sum = tf.addN(xs);
        const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(tf.addN(a), tf.addN(a))))(xs);
        return [sum, ...grads];
      };
      const gpu = await values(f);
      const cpu = await onCpu(() => values(f));
      assert.equal(gpu.length, n + 1);
      gpu.forEach((g, i) => assert.ok(maxRelDiff(g, cpu[i]) < 1e-4, `output ${i}: ${maxRelDiff(g, cpu[i])}`));
    });
  }

  // Stock kernels the models and AdamW use, at small model shapes.
  const stock: Array<[string, () => tf.Tensor[]]> = [
    [
      'batched matMul with transposes (attention) and its gradients',
      () => {
        const a = ramp([2, 4, 6], 1);
        const b = ramp([2, 5, 6], 2);
        return [
          tf.matMul(a, b, false, true),
          ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b]),
        ];
      },
    ],
    [
      'gather of embedding rows and its gradient (UnsortedSegmentSum)',
      () => {
        const w = ramp([10, 4], 3);
        const ids = tf.tensor1d([0, 3, 3, 9, 1], 'int32');
        return [tf.gather(w, ids), tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.gather(x, ids))))(w)];
      },
    ],
    [
      'softmax, erf, exp, log, rsqrt and moments (LayerNorm, GELU, cross-entropy) with gradients',
      () => {
        const x = ramp([6, 8], 4);
        const g = tf.grad((t: tf.Tensor) => {
          const { mean, variance } = tf.moments(t, -1, true);
          const ln = tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-12)));
          return tf.sum(
            tf.add(tf.mul(tf.erf(ln), tf.softmax(t)), tf.log(tf.add(tf.exp(tf.neg(tf.abs(t))), 1))),
          );
        })(x);
        return [tf.softmax(x), tf.erf(x), g];
      },
    ],
  ];
  for (const [name, f] of stock) {
    void test(name, async () => {
      const gpu = await values(f);
      const cpu = await onCpu(() => values(f));
      gpu.forEach((g, i) => assert.ok(maxRelDiff(g, cpu[i]) < 1e-4, `output ${i}: ${maxRelDiff(g, cpu[i])}`));
    });
  }
});
