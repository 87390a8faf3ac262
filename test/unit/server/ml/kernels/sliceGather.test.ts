import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { customWasmKernelNames } from '../../../../../server/ml/kernels';
import { onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const values = (shape: number[], dtype: 'float32' | 'int32'): tf.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i * 3 - 7 : Math.sin(i * 0.3)));
  return tf.tensor(v, shape, dtype);
};

/** f on wasm and on cpu: same shapes, same values (copies are exact). */
async function sameOnCpu(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const run = (): Array<{ shape: number[]; data: number[] }> =>
    tf.tidy(() => {
      const r = f();
      return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
    });
  const before = tf.memory().numTensors;
  const wasm = run();
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.deepEqual(wasm, await onBackend('cpu', run));
}

void describe('Slice, GatherV2 and Unpack on wasm equal cpu', () => {
  const slices: Array<{ name: string; shape: number[]; begin: number[]; size: number[]; int?: true }> = [
    { name: 'leading rows (position table)', shape: [12, 5], begin: [0, 0], size: [4, 5] },
    { name: 'middle rows, int32', shape: [6, 3, 2], begin: [2, 0, 0], size: [3, -1, -1], int: true },
    { name: 'strided (falls back to stock)', shape: [4, 6], begin: [1, 2], size: [2, 3] },
    { name: 'empty', shape: [4, 6], begin: [1, 0], size: [0, 6] },
  ];
  for (const c of slices) {
    void test(`slice: ${c.name}`, () =>
      sameOnCpu(() => tf.slice(values(c.shape, c.int ? 'int32' : 'float32'), c.begin, c.size)));
  }
  const gathers: Array<{ name: string; shape: number[]; indices: number[][] | number[]; axis: number }> = [
    { name: 'rows, repeated', shape: [9, 4], indices: [3, 0, 8, 3], axis: 0 },
    {
      name: '2-D indices, rank-3 table',
      shape: [5, 2, 3],
      indices: [
        [4, 1],
        [0, 0],
      ],
      axis: 0,
    },
    { name: 'a 1-D table (labels)', shape: [10], indices: [9, 2], axis: 0 },
    { name: 'axis 1 (falls back to stock)', shape: [3, 5], indices: [4, 0], axis: 1 },
  ];
  for (const c of gathers) {
    void test(`gather: ${c.name}`, () =>
      sameOnCpu(() =>
        tf.gather(values(c.shape, 'float32'), tf.tensor(c.indices, undefined, 'int32'), c.axis),
      ));
  }
  void test('gather: an index outside the table is an error naming it', () => {
    const before = tf.memory().numTensors;
    assert.throws(
      () => tf.tidy(() => tf.gather(values([3, 2], 'float32'), tf.tensor1d([1, 3], 'int32'))),
      /index value 3 is not in \[0, 2\]/,
    );
    assert.equal(tf.memory().numTensors, before);
  });
  const unpacks: Array<{ name: string; shape: number[]; axis: number }> = [
    { name: 'axis 0 (Q, K, V)', shape: [3, 2, 4, 5], axis: 0 },
    { name: 'axis 1 behind a size-1 axis', shape: [1, 3, 4], axis: 1 },
    { name: 'axis 1 (falls back to stock)', shape: [2, 3, 4], axis: 1 },
  ];
  for (const c of unpacks) {
    void test(`unstack: ${c.name}`, () => sameOnCpu(() => tf.unstack(values(c.shape, 'float32'), c.axis)));
  }
  void test('are registered', () => {
    for (const k of [tf.Slice, tf.GatherV2, tf.Unpack]) assert.ok(customWasmKernelNames().includes(k), k);
  });
});
