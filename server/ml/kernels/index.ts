/**
 * Kernels the project registers for tfjs's wasm backend: the ones it lacks for BERT/BiGRU training and
 * faster replacements of slow stock ones. Each is unit-tested against the cpu backend (forward and gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamwKernels } from './fusedAdamW';
import { SELF_ATTENTION, selfAttentionConfig } from './selfAttention';
import { batchMatMulConfig } from './batchMatMul';
import { DENSE, denseConfig } from './dense';
import { geluKernels } from './gelu';
import { identityConfig } from './identity';
import { layerNormKernels } from './layerNorm';
import { makeGatherConfig, makeSliceConfig, makeUnpackConfig } from './sliceGather';
import { squaredNormKernels } from './squaredNorm';
import { makeSumConfig } from './sum';
import { transposeConfig } from './transpose';
import { unsortedSegmentSumConfig } from './unsortedSegmentSum';

let registered: string[] | undefined;

/**
 * Registers (or replaces) our wasm kernels; idempotent. Call after the wasm backend has started, so the
 * stock kernels we fall back to have run their setup.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  const kernels: tf.KernelConfig[] = [
    unsortedSegmentSumConfig, // missing in tfjs-backend-wasm (gradient of gather)
    batchMatMulConfig, // every product on XNNPACK
    transposeConfig, // tiled JavaScript transpose
    makeSumConfig(tf.getKernel(tf.Sum, 'wasm')), // leading/trailing-axes sums without a transpose
    identityConfig, // shares memory instead of copying (the engine clones every tensor saved for backward)
    selfAttentionConfig, // inference self-attention core in one launch
    denseConfig, // inference dense layer (bias inside the product) as one engine op
    makeSliceConfig(tf.getKernel(tf.Slice, 'wasm')), // contiguous slices as one heap copy
    makeGatherConfig(tf.getKernel(tf.GatherV2, 'wasm')), // axis-0 gathers as row copies
    makeUnpackConfig(tf.getKernel(tf.Unpack, 'wasm')), // leading-axis unstack as heap copies
  ];
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = kernels.map((k) => k.kernelName);
}

/** Names of the kernels we register for wasm (for doctor and tests). */
export function customWasmKernelNames(): string[] {
  return (
    registered ?? [
      tf.UnsortedSegmentSum,
      tf.BatchMatMul,
      tf.Transpose,
      tf.Sum,
      tf.Identity,
      SELF_ATTENTION,
      DENSE,
      tf.Slice,
      tf.GatherV2,
      tf.Unpack,
    ]
  );
}

let fusedRegistered = false;

/** Registers our fused kernels (LayerNorm, GELU, AdamW, gradient norm) for the wasm and cpu backends; idempotent. */
export function registerFusedKernels(): void {
  if (fusedRegistered) return;
  fusedRegistered = true;
  for (const k of [...layerNormKernels, ...geluKernels, ...adamwKernels, ...squaredNormKernels]) {
    if (tf.getKernel(k.kernelName, k.backendName)) tf.unregisterKernel(k.kernelName, k.backendName);
    tf.registerKernel(k);
  }
}
