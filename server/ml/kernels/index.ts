/**
 * Kernels the project registers for tfjs's wasm backend: the ones it lacks for BERT/BiGRU training and
 * faster replacements of slow stock ones. Each is unit-tested against the cpu backend (forward and gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import { unsortedSegmentSumConfig } from './unsortedSegmentSum';

const KERNELS: tf.KernelConfig[] = [unsortedSegmentSumConfig];

let registered = false;

/** Registers (or replaces) our wasm kernels; idempotent. Call before or after the wasm backend starts. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const k of KERNELS) {
    if (tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
}

/** Names of the kernels we register for wasm (for doctor and tests). */
export function customWasmKernelNames(): string[] {
  return KERNELS.map((k) => k.kernelName);
}
