/**
 * The measured matMul peak of the current backend (GFLOP/s), the yardstick for model FLOPs utilisation:
 * MFU = tokens/s × FLOPs per token / peak (server/ml/train/flops.ts). Best of a few [1024, 256] · [256, 1024]
 * products after a warm-up ([256, 256] · [256, 256] on the pure-JS cpu backend, where the large one takes ~0.6 s).
 */
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo } from '../backend';

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

export function measureMatmulPeak(opts: PeakOptions = {}): PeakMeasure {
  const samples = opts.samples ?? 8;
  const budget = opts.budgetMs ?? Infinity;
  const small = tf.getBackend() === 'cpu';
  const m = small ? 256 : 1024;
  const k = 256;
  const n = small ? 256 : 1024;
  const start = performance.now();
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  let best = Infinity;
  let timed = 0;
  try {
    for (let i = 0; i < samples + 2; i++) {
      const t0 = performance.now();
      tf.tidy(() => {
        tf.matMul(a, b).dataSync(); // dataSync waits for the product (and copies 4 MB, small next to it)
      });
      if (i >= 2) {
        best = Math.min(best, performance.now() - t0);
        timed++;
        if (timed >= 2 && performance.now() - start >= budget) break;
      }
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  return {
    gflops: (2 * m * k * n) / best / 1e6,
    shape: `[${m}, ${k}] · [${k}, ${n}]`,
    samples: timed,
    backend: tf.getBackend(),
    threads: getBackendInfo()?.threads ?? 1,
    ms: performance.now() - start,
  };
}

const cache = new Map<string, PeakMeasure>();

/**
 * The current backend's peak, measured once per process for each backend and thread count (cheap: ≤ ~0.5 s on
 * wasm). What a training run compares its throughput against.
 */
export function backendPeak(opts: PeakOptions = { samples: 8, budgetMs: 400 }): PeakMeasure {
  const key = `${tf.getBackend()}:${getBackendInfo()?.threads ?? 1}`;
  let p = cache.get(key);
  if (!p) {
    p = measureMatmulPeak(opts);
    cache.set(key, p);
  }
  return p;
}

/** Training FLOPs per input token of the W1 model (forward 7.46 MFLOP × 3); flopsPerToken() in train/flops.ts. */
export const W1_TRAIN_FLOP_PER_TOKEN = 22.4e6;
