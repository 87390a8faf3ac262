/**
 * The measured matMul peak of the current backend (GFLOP/s), the yardstick for model FLOPs utilisation:
 * MFU = tokens/s × FLOPs per token / peak. Best of a few [1024, 256] · [256, 1024] products after a warm-up.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface PeakMeasure {
  gflops: number;
  /** The product that was timed, e.g. "[1024, 256] · [256, 1024]". */
  shape: string;
  samples: number;
}

export function measureMatmulPeak(samples = 8): PeakMeasure {
  const m = 1024;
  const k = 256;
  const n = 1024;
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  let best = Infinity;
  try {
    for (let i = 0; i < samples + 2; i++) {
      const t0 = performance.now();
      tf.tidy(() => {
        tf.matMul(a, b).dataSync(); // dataSync waits for the product (and copies 4 MB, small next to it)
      });
      if (i >= 2) best = Math.min(best, performance.now() - t0);
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  return { gflops: (2 * m * k * n) / best / 1e6, shape: `[${m}, ${k}] · [${k}, ${n}]`, samples };
}

/** Training FLOPs per input token of a BERT encoder step (forward × 3), for tokens/s → MFU. */
export const W1_TRAIN_FLOP_PER_TOKEN = 22.4e6;
