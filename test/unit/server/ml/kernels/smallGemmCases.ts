/** The smallGemm test table, run on the plain binary (smallGemm.test.ts) and the threaded one (smallGemmThreaded.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { data } from '../../../../../server/ml/kernels/batchMatMul';
import { hasSmallGemm, smallGemm, smallGemmStats } from '../../../../../server/ml/kernels/smallGemm';
import type { WasmBackend } from '../../../../../server/ml/kernels/wasmHeap';
import { f32 } from '../../../../../server/ml/kernels/wasmHeap';

interface Case {
  m: number;
  k: number;
  n: number;
  count: number;
  /** A stored as [k, m] (aRow 1, aCol m). */
  ta?: boolean;
  /** B stored as [n, k] (bRow 1, bCol k): packed to rows before the SIMD tiles. */
  tb?: boolean;
  /** Extra elements at the end of every A, B and C row (row strides wider than the matrix). */
  pad?: number;
  /** One A for all matrices (aStride 0). */
  shareA?: boolean;
  accumulate?: boolean;
}

export const cases: Case[] = [
  { m: 1, k: 1, n: 1, count: 1 },
  { m: 3, k: 7, n: 5, count: 2 },
  { m: 4, k: 16, n: 8, count: 3 },
  { m: 17, k: 65, n: 33, count: 2 },
  { m: 17, k: 65, n: 33, count: 2, ta: true, pad: 3 },
  { m: 8, k: 9, n: 24, count: 5, pad: 5, accumulate: true },
  { m: 12, k: 3, n: 16, count: 4, shareA: true },
  { m: 128, k: 64, n: 128, count: 4 },
  { m: 3, k: 7, n: 5, count: 2, tb: true },
  { m: 17, k: 65, n: 33, count: 3, tb: true, pad: 2, accumulate: true },
  { m: 128, k: 64, n: 128, count: 2, tb: true },
  { m: 128, k: 128, n: 64, count: 3, ta: true },
];

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + (i % 5)));

/** Every case through smallGemm (SIMD when simd) on heap tensors, within 2e-6 · Σ|a·b| of float64. */
export function runCases(expectSimd: boolean): void {
  void test('the SIMD tiles are available', () => {
    assert.equal(hasSmallGemm(tf.backend() as WasmBackend), expectSimd);
  });
  for (const simd of [true, false]) {
    for (const c of cases) {
      const name =
        `${simd ? 'SIMD' : 'JavaScript'}: ${c.count} × [${c.m}, ${c.k}] · [${c.k}, ${c.n}]` +
        `${c.ta ? ', A transposed' : ''}${c.tb ? ', B transposed' : ''}${c.pad ? `, rows padded by ${c.pad}` : ''}` +
        `${c.shareA ? ', shared A' : ''}${c.accumulate ? ', accumulate' : ''}`;
      void test(name, () => {
        const pad = c.pad ?? 0;
        // Stored A: ta ? [k, m + pad] : [m, k + pad]; B: tb ? [n, k + pad] : [k, n + pad]; C [m, n + pad].
        const aWidth = (c.ta ? c.m : c.k) + pad;
        const aSize = (c.ta ? c.k : c.m) * aWidth;
        const bWidth = (c.tb ? c.k : c.n) + pad;
        const bSize = (c.tb ? c.n : c.k) * bWidth;
        const bAt = (p: number, j: number): number => (c.tb ? j * bWidth + p : p * bWidth + j);
        const cWidth = c.n + pad;
        const cSize = c.m * cWidth;
        const aCount = c.shareA ? 1 : c.count;
        const av = values(aSize * aCount, 1);
        const bv = values(bSize * c.count, 2);
        const cv = values(cSize * c.count, 3);
        const before = [tf.memory().numTensors, tf.backend().numDataIds()];
        const stats = { ...smallGemmStats };
        const out = tf.tidy(() => {
          const backend = tf.backend() as WasmBackend;
          const [ta, tb, tc] = [tf.tensor1d(av), tf.tensor1d(bv), tf.tensor1d(cv)];
          const at = (t: tf.Tensor): number => data(backend, t).memoryOffset / 4;
          smallGemm(
            backend,
            {
              m: c.m,
              n: c.n,
              k: c.k,
              a: at(ta),
              aRow: c.ta ? 1 : aWidth,
              aCol: c.ta ? aWidth : 1,
              b: at(tb),
              bRow: c.tb ? 1 : bWidth,
              bCol: c.tb ? bWidth : 1,
              c: at(tc),
              cRow: cWidth,
              count: c.count,
              aStride: c.shareA ? 0 : aSize,
              bStride: bSize,
              cStride: cSize,
              accumulate: c.accumulate,
            },
            simd,
          );
          return Float32Array.from(f32(backend, tc));
        });
        assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before, 'nothing left behind');
        const tiles = simd && expectSimd ? c.count * (c.m & ~3) * (c.n & ~7) : 0;
        assert.equal(smallGemmStats.simd - stats.simd, tiles, 'SIMD elements');
        assert.equal(smallGemmStats.js - stats.js, c.count * c.m * c.n - tiles, 'JavaScript elements');
        let worst = 0;
        for (let bi = 0; bi < c.count; bi++) {
          const a0 = c.shareA ? 0 : bi * aSize;
          for (let i = 0; i < c.m; i++) {
            for (let j = 0; j < cWidth; j++) {
              const o = bi * cSize + i * cWidth + j;
              if (j >= c.n) {
                assert.equal(out[o], cv[o], 'padding untouched');
                continue;
              }
              let s = c.accumulate ? cv[o] : 0;
              let mag = Math.abs(s);
              for (let p = 0; p < c.k; p++) {
                const x = av[a0 + (c.ta ? p * aWidth + i : i * aWidth + p)] * bv[bi * bSize + bAt(p, j)];
                s += x;
                mag += Math.abs(x);
              }
              worst = Math.max(worst, Math.abs(out[o] - s) / (mag + 1e-30));
            }
          }
        }
        assert.ok(worst < 2e-6, `relative error ${worst}`);
      });
    }
  }
}
