/** Status inputs shared by the status-item tests. */
import type { GpuDevice, GpuTelemetry, ServerStatus } from '../../../../protocol/status';

export const idle: ServerStatus = { state: 'idle', backend: 'wasm', device: 'wasm SIMD, 2 threads' };
export const gpuDevice = (over: Partial<GpuDevice> = {}): GpuDevice => ({
  index: 0,
  name: 'NVIDIA A100',
  utilizationPercent: 43,
  memoryUsedMiB: 5.1 * 1024,
  memoryTotalMiB: 80 * 1024,
  temperatureC: 61,
  ...over,
});
export const telemetry = (gpus: GpuDevice[] | null, over: Partial<GpuTelemetry> = {}): GpuTelemetry => ({
  time: 0,
  gpus,
  gpuMessage: gpus ? '' : 'no GPU: wasm on 2 cores',
  backend: 'wasm',
  cores: 2,
  tfMemory: { numTensors: 12, numBytes: 1000 },
  rssBytes: 300 * 1024 * 1024,
  heapUsedBytes: 50 * 1024 * 1024,
  ...over,
});
