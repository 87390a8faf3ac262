/**
 * Kernels the project registers for tfjs's webgpu backend (Dawn): fixes of stock kernels for our shapes and fused
 * WGSL kernels. Each is tested against the cpu backend in test/webgpu/.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamwWebgpuKernels } from './adamW';
import { attentionWebgpuKernels } from './attention';
import { makeAddNConfig } from './addN';
import { geluWebgpuKernels } from './gelu';
import { layerNormWebgpuKernels } from './layerNorm';
import { maskedXentKernels } from './maskedXent';

let registered: string[] | undefined;

/** Registers (or replaces) our webgpu kernels; idempotent. Call after tfjs-backend-webgpu registered its own. */
export function registerWebgpuKernels(): void {
  if (registered) return;
  const kernels: tf.KernelConfig[] = [
    makeAddNConfig(tf.getKernel(tf.AddN, 'webgpu')!), // chunked under the storage-buffer limit
    ...maskedXentKernels(), // the masked-position head's cross-entropy, forward and gradient
    ...geluWebgpuKernels(), // MlmGelu, MlmGeluGrad: the names of kernels/gelu.ts
    ...layerNormWebgpuKernels(), // MlmLayerNorm, MlmLayerNormGrad: the names of kernels/layerNorm.ts
    ...adamwWebgpuKernels(), // MlmAdamW: the name of kernels/fusedAdamW.ts
    ...attentionWebgpuKernels(), // MlmSelfAttention (inference): the name of kernels/selfAttention.ts
  ];
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, k.backendName)) tf.unregisterKernel(k.kernelName, k.backendName);
    tf.registerKernel(k);
  }
  registered = kernels.map((k) => k.kernelName);
}

/** Names of the kernels we register for webgpu (for doctor and tests). */
export function customWebgpuKernelNames(): string[] {
  return registered ?? [];
}
