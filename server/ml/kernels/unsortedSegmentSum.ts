/**
 * UnsortedSegmentSum for wasm — the gradient of gather (embedding lookups), missing from tfjs-backend-wasm.
 * out[s, …] = Σ_{i: segmentIds[i] = s} x[i, …]; ids outside [0, numSegments) are dropped (TF semantics).
 * segmentIds' shape is a prefix of x's shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allocate, numeric, i32, type WasmBackend } from './wasmHeap';

function unsortedSegmentSum(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const idsRank = segmentIds.shape.length;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const innerShape = x.shape.slice(idsRank);
  const inner = tf.util.sizeFromShape(innerShape);
  // out: [numSegments, ...x.shape.slice(idsRank)]
  const out = allocate(backend, [numSegments, ...innerShape], x.dtype);
  const o = numeric(backend, out);
  o.fill(0);
  const xs = numeric(backend, x);
  const ids = i32(backend, segmentIds);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const src = r * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
