/**
 * The measured matMul peak of the current backend (GFLOP/s), the yardstick for model FLOPs utilisation:
 * MFU = tokens/s × FLOPs per token / peak (server/ml/train/flops.ts). Best of a few [1024, 256] · [256, 1024]
 * products after a warm-up ([256, 256] · [256, 256] on the pure-JS cpu backend, where the large one takes ~0.6 s;
 * [2048, 2048] · [2048, 2048] on a hardware WebGPU adapter).
 */
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo } from '../backend';
import { readData } from './read';

export interface PeakMeasure {
  gflops: number;
  /** The product that was timed, e.g. "[1024, 256] · [256, 1024]". */
  shape: string;
  /** Timed products (the best one counts). */
  samples: number;
  /** tfjs backend name and its threads (wasm XNNPACK threads; 1 elsewhere). */
  backend?: string;
  threads?: number;
  /** Wall time the measurement took, ms (warm-up included). */
  ms?: number;
}

export interface PeakOptions {
  /** Timed products after the warm-up (default 8). */
  samples?: number;
  /** Stop taking samples once this much wall time has passed (at least 2 are timed). Default: no limit. */
  budgetMs?: number;
}

/**
 * Best of `samples` timed products after 2 warm-ups (stopping after the budget once 2 are timed). Each product is
 * waited for by reading one element of it asynchronously: every backend (webgpu has no synchronous read in Node),
 * and the product is computed in full before that element is there.
 */
export async function measureMatmulPeak(opts: PeakOptions = {}): Promise<PeakMeasure> {
  const shape = peakShape();
  const times: number[] = [];
  const [a, b] = operands(shape);
  const start = performance.now();
  try {
    for (let i = 0; i < (opts.samples ?? 8) + 2; i++) {
      const t0 = performance.now();
      const corner = tf.tidy(() => tf.slice(tf.matMul(a, b), [0, 0], [1, 1]));
      try {
        await readData(corner);
      } finally {
        corner.dispose();
      }
      if (i >= 2) {
        times.push(performance.now() - t0);
        if (times.length >= 2 && performance.now() - start >= (opts.budgetMs ?? Infinity)) break;
      }
    }
  } finally {
    tf.dispose([a, b]);
  }
  return peakResult(shape, Math.min(...times), times.length, start);
}

interface PeakShape {
  m: number;
  k: number;
  n: number;
}

function peakShape(): PeakShape {
  if (tf.getBackend() === 'cpu') return { m: 256, k: 256, n: 256 };
  const adapter = getBackendInfo()?.adapter;
  if (adapter && !adapter.software) return { m: 2048, k: 2048, n: 2048 };
  return { m: 1024, k: 256, n: 1024 };
}

function operands({ m, k, n }: PeakShape): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.randomUniform([m, k], -1, 1, 'float32', 1), tf.randomUniform([k, n], -1, 1, 'float32', 2)];
}

function peakResult({ m, k, n }: PeakShape, bestMs: number, samples: number, start: number): PeakMeasure {
  return {
    gflops: (2 * m * k * n) / bestMs / 1e6,
    shape: `[${m}, ${k}] · [${k}, ${n}]`,
    samples,
    backend: tf.getBackend(),
    threads: getBackendInfo()?.threads ?? 1,
    ms: performance.now() - start,
  };
}

const cache = new Map<string, PeakMeasure>();
const peakKey = (): string => `${tf.getBackend()}:${getBackendInfo()?.threads ?? 1}`;

/**
 * The current backend's peak, measured once per process for each backend and thread count (cheap: ≤ ~0.5 s on
 * wasm). What a training run compares its throughput against.
 */
export async function backendPeak(opts: PeakOptions = DEFAULT_PEAK): Promise<PeakMeasure> {
  let p = cache.get(peakKey());
  if (!p) {
    p = await measureMatmulPeak(opts);
    cache.set(peakKey(), p);
  }
  return p;
}

const DEFAULT_PEAK: PeakOptions = { samples: 8, budgetMs: 400 };

/** Training FLOPs per input token of the W1 model (forward 7.46 MFLOP × 3); flopsPerToken() in train/flops.ts. */
export const W1_TRAIN_FLOP_PER_TOKEN = 22.4e6;
