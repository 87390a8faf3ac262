/**
 * The periodic `mlm/gpu` sample: nvidia-smi (through the poller: never two at once, backed off on failure),
 * TF.js memory of the inference and trainer workers, process RSS and heap. Ticks are chained (the next one is
 * scheduled after the previous finished), so a slow nvidia-smi never piles up ticks.
 */
import os from 'node:os';
import type { GpuTelemetry, TfMemory, WebgpuTelemetry } from '../../protocol/status';
import type { NvidiaSmiPoller } from './nvidiaSmiPoller';

export interface TelemetrySources {
  poller: NvidiaSmiPoller;
  /** Backend name and cores, as known now (empty backend before the first worker initialised); the WebGPU adapter. */
  backend(): { backend: string; cores: number; gpu?: Omit<WebgpuTelemetry, 'memoryBytes'> };
  /** TF.js memory of the inference worker and (while a run is active) the trainer worker. */
  tfMemory(): Promise<{ inference?: TfMemory; trainer?: TfMemory }>;
}

const ZERO: TfMemory = { numTensors: 0, numBytes: 0 };

export async function sampleTelemetry(src: TelemetrySources): Promise<GpuTelemetry> {
  const noMemory: { inference?: TfMemory; trainer?: TfMemory } = {};
  const [gpu, mem] = await Promise.all([src.poller.poll(), src.tfMemory().catch(() => noMemory)]);
  const { backend, cores, gpu: adapter } = src.backend();
  const m = process.memoryUsage();
  const where = `${backend || 'TF.js'} on ${cores} core${cores === 1 ? '' : 's'}`;
  return {
    time: Date.now(),
    gpus: gpu.gpus,
    gpuMessage: gpu.gpus ? '' : `no GPU: ${where} (${gpu.reason})`,
    backend,
    cores,
    ...(adapter ? { webgpu: { ...adapter, ...webgpuMemory(mem.inference, mem.trainer) } } : {}),
    tfMemory: mem.inference ?? ZERO,
    trainerTfMemory: mem.trainer,
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
  };
}

/** GPU buffer bytes of the workers that report them (webgpu), summed; nothing when none does. */
function webgpuMemory(...mems: Array<TfMemory | undefined>): { memoryBytes?: number } {
  const bytes = mems.map((m) => m?.gpuBytes).filter((b): b is number => b !== undefined);
  return bytes.length ? { memoryBytes: bytes.reduce((a, b) => a + b, 0) } : {};
}

/** Samples now and then every periodMs until stopped; `send` gets each sample. */
export class TelemetryLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly src: TelemetrySources,
    private readonly send: (t: GpuTelemetry) => void,
    private periodMs: number,
  ) {}

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  setPeriod(ms: number): void {
    this.periodMs = ms;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    try {
      const sample = await sampleTelemetry(this.src);
      if (!this.stopped) this.send(sample);
    } finally {
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.tick(), this.periodMs);
        this.timer.unref();
      }
    }
  }
}

export const defaultCores = (): number => os.cpus().length || 1;
