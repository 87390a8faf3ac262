/**
 * What a worker thread reports about its TF.js backend (the ready message) and its memory (the telemetry's
 * memory request); both roles use these. Kept out of messages.ts, which the main thread imports without TF.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TfMemory } from '../../protocol/status';
import type { BackendInfo } from '../ml/backend';
import { webgpuMemoryBytes } from '../ml/backend/webgpu';
import type { WorkerBackend } from './messages';

/** The ready message's backend report from initBackend's BackendInfo (both worker roles). */
export function workerBackend(info: BackendInfo): WorkerBackend {
  const { name, device, cores, reasons, adapter } = info;
  const gpu = adapter ? { adapter: adapter.name, api: adapter.api, software: adapter.software } : undefined;
  return { name, device, cores, reasons, ...(gpu ? { gpu } : {}) };
}

/** TF.js memory of this thread (and, on webgpu, the GPU buffers it holds) for the telemetry. */
export function tfMemorySample(): TfMemory {
  const mem = tf.memory();
  const gpuBytes = webgpuMemoryBytes();
  return {
    numTensors: mem.numTensors,
    numBytes: mem.numBytes,
    numDataBuffers: mem.numDataBuffers,
    ...(gpuBytes !== undefined ? { gpuBytes } : {}),
  };
}
