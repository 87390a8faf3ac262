import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TfMemory } from '../../../../protocol/status';
import { NvidiaSmiPoller } from '../../../../server/telemetry/nvidiaSmiPoller';
import { sampleTelemetry } from '../../../../server/telemetry/telemetry';

/** A poller whose nvidia-smi is not installed (the runner answers as execFile does for ENOENT). */
const noSmi = () =>
  new NvidiaSmiPoller({
    timeoutMs: 1000,
    baseBackoffMs: 1000,
    maxBackoffMs: 1000,
    run: () =>
      Promise.resolve({
        code: null,
        stdout: '',
        stderr: '',
        error: { code: 'ENOENT', message: 'not found' },
      }),
  });

const mem = (numTensors: number, gpuBytes?: number): TfMemory => ({
  numTensors,
  numBytes: 1,
  ...(gpuBytes !== undefined ? { gpuBytes } : {}),
});

void describe('sampleTelemetry: the WebGPU device', () => {
  const adapter = { adapter: 'llvmpipe', api: 'Vulkan', software: true };
  const table: Array<{
    name: string;
    gpu?: typeof adapter;
    memory: { inference?: TfMemory; trainer?: TfMemory };
    webgpu?: { memoryBytes?: number };
  }> = [
    { name: 'wasm: no webgpu field', memory: { inference: mem(3) } },
    {
      name: 'webgpu: inference and trainer GPU buffers summed',
      gpu: adapter,
      memory: { inference: mem(3, 1000), trainer: mem(40, 5000) },
      webgpu: { memoryBytes: 6000 },
    },
    {
      name: 'webgpu, no run: the inference worker only',
      gpu: adapter,
      memory: { inference: mem(3, 1000) },
      webgpu: { memoryBytes: 1000 },
    },
    { name: 'webgpu, memory not reported yet', gpu: adapter, memory: {}, webgpu: {} },
  ];
  for (const c of table) {
    void test(c.name, async () => {
      const t = await sampleTelemetry({
        poller: noSmi(),
        backend: () => ({ backend: c.gpu ? 'webgpu' : 'wasm', cores: 2, gpu: c.gpu }),
        tfMemory: () => Promise.resolve(c.memory),
      });
      assert.deepEqual(t.webgpu, c.webgpu && { ...adapter, ...c.webgpu });
      assert.equal(t.gpus, null);
    });
  }
});
