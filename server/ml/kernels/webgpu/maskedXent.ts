/**
 * The masked-position head's cross-entropy as two WGSL kernels for the webgpu backend (issue #12): the stock ops
 * (model/ops.ts sparseCrossEntropy: Max, Sub, Exp, Sum, Log, Add, Gather, Sub, Mean) launch nine shaders and keep
 * exp(x − max) over the whole [targets, vocab] block for the backward pass. Here:
 *
 * - `MlmMaskedXent` (logits [n, v] float32, labels [n] int32 → stats [n, 2]): one workgroup per row reduces the
 *   row's max and Σ exp(x − max) in workgroup memory and writes (logSumExp, logSumExp − x[label]).
 * - `MlmMaskedXentGrad` (logits, stats, labels, scale [1] → [n, v]): exp(x − logSumExp) − onehot(label), times
 *   scale (= dy / n), one element per invocation; nothing of size [n, v] is saved between the passes.
 *
 * maskedCrossEntropy is the differentiable op on top (mean over rows); it is used by sparseCrossEntropy when the
 * active backend has these kernels. Tested against the cpu backend in test/webgpu/kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { reduceSnippet, ROW_BLOCK, type WebgpuBackendLike } from './program';

export const MASKED_XENT = 'MlmMaskedXent';
export const MASKED_XENT_GRAD = 'MlmMaskedXentGrad';

/** WebGPU's default maxComputeWorkgroupsPerDimension: rows beyond it would need a 2-D dispatch of rows. */
const MAX_ROWS = 65535;

class MaskedXentProgram implements WebGPUProgram {
  variableNames = ['logits', 'labels'];
  outputShape: number[];
  shaderKey = 'mlmMaskedXent';
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ROW_BLOCK, 1, 1];

  constructor(rows: number) {
    this.outputShape = [rows, 2];
    this.dispatch = [rows, 1, 1];
  }

  getUserCode(): string {
    return `
    var<workgroup> buf : array<f32, ${ROW_BLOCK}>;
    fn main(index : i32) {
      let row = index / ${ROW_BLOCK};
      let tid = i32(localId.x);
      let cols = uniforms.logitsShape[1];
      let base = row * cols;
      var m = -3.402823e+38f;
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) {
        m = max(m, logits[base + c]);
      }
      buf[tid] = m;
      ${reduceSnippet((a, b) => `max(${a}, ${b})`)}
      let rowMax = buf[0];
      workgroupBarrier();
      var sum = 0.0;
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) {
        sum += exp(logits[base + c] - rowMax);
      }
      buf[tid] = sum;
      ${reduceSnippet((a, b) => `${a} + ${b}`)}
      if (tid == 0) {
        let lse = rowMax + log(buf[0]);
        result[row * 2] = lse;
        result[row * 2 + 1] = lse - logits[base + labels[row]];
      }
    }`;
  }
}

class MaskedXentGradProgram implements WebGPUProgram {
  variableNames = ['logits', 'stats', 'labels', 'dyScale'];
  outputShape: number[];
  shaderKey = 'mlmMaskedXentGrad';
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
    // Flat: the backend reshapes a dispatch over the per-dimension limit itself (runWebGPUProgram).
    this.dispatch = [Math.ceil((shape[0] * shape[1]) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let cols = uniforms.outShape[1];
        let row = index / cols;
        let col = index - row * cols;
        var g = exp(logits[index] - stats[row * 2]);
        if (col == labels[row]) {
          g = g - 1.0;
        }
        result[index] = g * dyScale[0];
      }
    }`;
  }
}

/** The kernel configs registered for webgpu (kernels/webgpu/index.ts). */
export function maskedXentKernels(): tf.KernelConfig[] {
  return [
    {
      kernelName: MASKED_XENT,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
        const b = backend as unknown as WebgpuBackendLike;
        return b.runWebGPUProgram(new MaskedXentProgram(logits.shape[0]), [logits, labels], 'float32');
      },
    },
    {
      kernelName: MASKED_XENT_GRAD,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const { logits, stats, labels, dyScale } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as unknown as WebgpuBackendLike;
        return b.runWebGPUProgram(
          new MaskedXentGradProgram(logits.shape),
          [logits, stats, labels, dyScale],
          'float32',
        );
      },
    },
  ];
}

/** True when the active backend has the fused kernels and `rows` fit one dispatch dimension. */
export function hasMaskedXent(rows: number): boolean {
  return rows <= MAX_ROWS && tf.getKernel(MASKED_XENT, tf.getBackend()) !== undefined;
}

/**
 * Mean cross-entropy of logits [n, v] against labels [n] (checked to lie in [0, v) by the caller), with the
 * gradient (softmax − one-hot) / n, through the two kernels above. Call only when hasMaskedXent(n).
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const n = logits.shape[0];
  const f = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const y = tf.tensor1d(labels, 'int32'); // [n]; saved: it outlives the forward pass
    const stats = tf.engine().runKernel(MASKED_XENT, { logits: x, labels: y }) as tf.Tensor2D; // [n, 2]
    const value = tf.mean(tf.slice(stats, [0, 1], [n, 1])) as tf.Scalar;
    save([x, stats, y]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [xs, st, ys] = saved;
        const dyScale = tf.reshape(tf.div(dy, n), [1]);
        const dx = tf.engine().runKernel(MASKED_XENT_GRAD, {
          logits: xs,
          stats: st,
          labels: ys,
          dyScale,
        }) as tf.Tensor2D;
        return dx;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}
