import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import {
  fusedGelu,
  geluBackward,
  geluForward,
  geluSimdStats,
  hasFusedGelu,
  hasSimdGelu,
} from '../../../../../server/ml/kernels/gelu';
import { geluAutodiff, geluTfOps } from '../../../../../server/ml/model/ops';
import { onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

/** erfc(z) for z ≥ 0 in float64 (~1e-13 relative): a positive series below 2, a continued fraction above. */
function erfc64(z: number): number {
  if (z < 2) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  let f = 0;
  for (let k = 80; k >= 1; k--) f = k / 2 / (z + f);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
}
const cdf64 = (x: number): number =>
  x >= 0 ? 1 - erfc64(x * Math.SQRT1_2) / 2 : erfc64(-x * Math.SQRT1_2) / 2;
const gelu64 = (x: number): number => x * cdf64(x);
const geluGrad64 = (x: number): number => cdf64(x) + (x * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);

/** Every float32 step of 2⁻¹² over [−10, 10] (163,841 values: a multiple of 4 plus 1, so a SIMD tail too). */
const grid = Float32Array.from({ length: 20 * 4096 * 2 + 1 }, (_, i) => -10 + i / 4096 / 2);

/** Forward and gradient (dy = 1) through the registered kernels on the active backend. */
function kernelOut(x: Float32Array): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const t = tf.tensor1d(x);
    const [y, g] = [fusedGelu(t), tf.grad((a: tf.Tensor) => tf.sum(fusedGelu(a)))(t)];
    return [y.dataSync() as Float32Array, g.dataSync() as Float32Array];
  });
}

interface Err {
  abs: number;
  rel: number;
}
/** Largest |a − ref| and, where |ref| > 1e-3, largest |a − ref| / |ref|. */
function err(a: ArrayLike<number>, ref: (i: number) => number): Err {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const r = ref(i);
    const e = Math.abs(a[i] - r);
    abs = Math.max(abs, e);
    if (Math.abs(r) > 1e-3) rel = Math.max(rel, e / Math.abs(r));
  }
  return { abs, rel };
}

void describe('fused GELU kernels', () => {
  void test('registered on wasm (SIMD) and cpu', async () => {
    assert.ok(hasFusedGelu());
    assert.ok(hasSimdGelu());
    assert.deepEqual(await onBackend('cpu', () => [hasFusedGelu(), hasSimdGelu()]), [true, false]);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    void test(`${backend}: within 1e-6 absolute and 2e-6 relative of float64 over [−10, 10]`, async (t) => {
      const simdBefore = geluSimdStats.elements;
      const [y, g] = await onBackend(backend, () => kernelOut(grid));
      const simd = geluSimdStats.elements - simdBefore;
      assert.equal(
        simd,
        backend === 'wasm' ? 3 * (grid.length - 1) : 0,
        'elements on the SIMD path (2 forward, 1 backward)',
      );
      const fwd = err(y, (i) => gelu64(grid[i]));
      const grad = err(g, (i) => geluGrad64(grid[i]));
      t.diagnostic(
        `GELU abs ${fwd.abs.toExponential(2)} rel ${fwd.rel.toExponential(2)}; GELU' abs ${grad.abs.toExponential(2)}`,
      );
      assert.ok(fwd.abs < 1e-6 && fwd.rel < 2e-6, `forward ${JSON.stringify(fwd)}`);
      // GELU' crosses 0 near x = −0.75, so only its absolute error is bounded.
      assert.ok(grad.abs < 1e-6, `gradient ${JSON.stringify(grad)}`);
    });
  }

  void test('wasm SIMD = JavaScript loop = cpu, bit for bit, for lengths around the 4-lane tail', async () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 1027]) {
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * 6 - 0.5);
      const dy = new Float32Array(n).fill(1);
      const js = [new Float32Array(n), new Float32Array(n)];
      const cdf = new Float32Array(n);
      geluForward(x, js[0], cdf);
      geluBackward(dy, x, cdf, js[1]);
      const wasm = kernelOut(x);
      const cpu = await onBackend('cpu', () => kernelOut(x));
      assert.deepEqual(wasm, js, `wasm, n = ${n}`);
      assert.deepEqual(cpu, js, `cpu, n = ${n}`);
    }
  });

  void test('saturates without Inf or NaN for large |x|; NaN propagates', async () => {
    const x = Float32Array.from([
      1e4,
      -1e4,
      20,
      -20,
      12.5,
      -12.5,
      13,
      -13,
      3e38,
      -3e38,
      NaN,
      0,
      -0,
      1e-30,
      -1e-30,
    ]);
    for (const backend of ['wasm', 'cpu'] as const) {
      const [y, g] = await onBackend(backend, () => kernelOut(x));
      for (let i = 0; i < x.length; i++) {
        if (Number.isNaN(x[i])) {
          assert.ok(Number.isNaN(y[i]) && Number.isNaN(g[i]), `${backend} NaN in, NaN out`);
          continue;
        }
        const relu = Math.max(x[i], 0);
        assert.ok(Number.isFinite(y[i]) && Number.isFinite(g[i]), `${backend} finite at ${x[i]}`);
        if (Math.abs(x[i]) >= 12.5) {
          assert.ok(Math.abs(y[i] - relu) <= 1e-30 * Math.max(1, relu), `${backend} y(${x[i]}) = ${y[i]}`);
          assert.ok(Math.abs(g[i] - (x[i] > 0 ? 1 : 0)) < 1e-30, `${backend} g(${x[i]}) = ${g[i]}`);
        } else if (Math.abs(x[i]) < 1e-20) {
          assert.ok(g[i] === 0.5 && y[i] === x[i] / 2, `${backend} at ${x[i]}: ${y[i]}, ${g[i]}`);
        }
      }
    }
  });

  void test('gradient = numeric derivative of the kernel and = autodiff of the tf-op composite', async (t) => {
    const x = Float32Array.from({ length: 203 }, (_, i) => -6 + i * 0.0597);
    const h = 2 ** -7;
    const [y0, g] = kernelOut(x);
    const [yp] = kernelOut(x.map((v) => v + h));
    const [ym] = kernelOut(x.map((v) => v - h));
    const numeric = err(g, (i) => (yp[i] - ym[i]) / (2 * h));
    t.diagnostic(`vs central difference (h = 2⁻⁷): abs ${numeric.abs.toExponential(2)}`);
    assert.ok(numeric.abs < 2e-4, `numeric ${JSON.stringify(numeric)}`);
    for (const backend of ['wasm', 'cpu'] as const) {
      const ref = await onBackend(backend, () =>
        tf.tidy(() => {
          const a = tf.tensor1d(x);
          const [y, d] = [geluAutodiff(a), tf.grad((b: tf.Tensor) => tf.sum(geluAutodiff(b)))(a)];
          return [y.dataSync(), d.dataSync()];
        }),
      );
      const fwd = err(y0, (i) => ref[0][i]);
      const grad = err(g, (i) => ref[1][i]);
      t.diagnostic(
        `vs tf ops on ${backend}: GELU abs ${fwd.abs.toExponential(2)}, GELU' abs ${grad.abs.toExponential(2)}`,
      );
      assert.ok(fwd.abs < 1e-6 && grad.abs < 1e-6, `${backend}: ${JSON.stringify([fwd, grad])}`);
    }
    // And the current tf-op path (geluTfOps) on wasm over the whole grid.
    const ops = tf.tidy(() => geluTfOps(tf.tensor1d(grid)).dataSync());
    const [ours] = kernelOut(grid);
    const vsOps = err(ours, (i) => ops[i]);
    const opsErr = err(ops, (i) => gelu64(grid[i]));
    t.diagnostic(
      `vs geluTfOps on wasm over [−10, 10]: abs ${vsOps.abs.toExponential(2)} ` +
        `(geluTfOps vs float64: abs ${opsErr.abs.toExponential(2)}, rel ${opsErr.rel.toExponential(2)})`,
    );
    assert.ok(vsOps.abs < 1e-6, JSON.stringify(vsOps));
  });

  void test('no tensor left behind (forward, gradient, 2-D)', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor2d(grid.subarray(0, 6 * 7), [6, 7]);
      const y = fusedGelu(x);
      assert.deepEqual(y.shape, [6, 7]);
      tf.grad((a: tf.Tensor) => tf.sum(fusedGelu(a)))(x).dataSync();
    });
    assert.equal(tf.memory().numTensors, before);
  });
});
