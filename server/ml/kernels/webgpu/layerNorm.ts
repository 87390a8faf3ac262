/**
 * LayerNorm over the last axis for the webgpu backend, forward and backward, under the kernel names of
 * kernels/layerNorm.ts (model/ops.ts layerNorm takes them on webgpu as on wasm and cpu). Stock tfjs launches
 * ~9 shaders forward (moments, sub, rsqrt, mul, add) and ~20 backward; here:
 *   MlmLayerNorm (x [n, h], gamma [h], beta [h], attr eps) → y [n, h], stats [n, 2]
 *       1. one workgroup per row: mean, then Σ(x − mean)² (two passes over the row: no cancellation) →
 *          stats = (mean, rstd = 1 / √(var + eps));  2. y = (x − mean) · rstd · gamma + beta, per element.
 *     With a `residual` input it normalises x + residual and returns [y] only (inference, as on wasm).
 *     On webgpu the second output is both statistics (the wasm kernel saves rstd only and recomputes the mean);
 *     only MlmLayerNormGrad below reads it (kernels/layerNorm.ts fusedLayerNorm passes it through).
 *   MlmLayerNormGrad (dy, x, gamma, stats) → dx [n, h], dgamma [h], dbeta [h]
 *       1. one workgroup per row: a = Σ dy·gamma, b = Σ dy·gamma·x̂, dx = rstd (dy·gamma − a/h − x̂ b/h);
 *       2. per column and chunk of COL_CHUNK rows: partial Σ dy·x̂ and Σ dy → [chunks, 2h];
 *       3. per column, the sum over chunks → dgamma, dbeta.
 * Tested against the cpu backend in test/webgpu/kernels.test.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../layerNorm';
import {
  FlatProgram,
  reduceSnippet,
  ROW_BLOCK,
  RowProgram,
  runAndFree,
  type WebgpuBackendLike,
} from './program';

/** Rows summed by one invocation in the first stage of the gamma/beta gradients. */
const COL_CHUNK = 64;

/** x + residual (or x) at flat index i, as WGSL. */
const input = (residual: boolean, i: string) => (residual ? `(x[${i}] + residual[${i}])` : `x[${i}]`);

function statsProgram(n: number, residual: boolean): RowProgram {
  const xs = residual ? ['x', 'residual'] : ['x'];
  return new RowProgram(
    `mlmLayerNormStats${residual ? 'Res' : ''}`,
    xs,
    [n, 2],
    n,
    `var<workgroup> buf : array<f32, ${ROW_BLOCK}>;`,
    `
      let cols = uniforms.xShape[1];
      let base = row * cols;
      var s = 0.0;
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) {
        s += ${input(residual, 'base + c')};
      }
      buf[tid] = s;
      ${reduceSnippet((a, b) => `${a} + ${b}`)}
      let mean = buf[0] / f32(cols);
      workgroupBarrier();
      var q = 0.0;
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) {
        let d = ${input(residual, 'base + c')} - mean;
        q += d * d;
      }
      buf[tid] = q;
      ${reduceSnippet((a, b) => `${a} + ${b}`)}
      if (inRange && tid == 0) {
        result[row * 2] = mean;
        result[row * 2 + 1] = inverseSqrt(buf[0] / f32(cols) + uniforms.eps);
      }`,
    'eps : f32,',
  );
}

function applyProgram(n: number, h: number, residual: boolean): FlatProgram {
  return new FlatProgram(
    `mlmLayerNormApply${residual ? 'Res' : ''}`,
    [...(residual ? ['x', 'residual'] : ['x']), 'stats', 'gamma', 'beta'],
    [n, h],
    `
        let cols = uniforms.outShape[1];
        let row = index / cols;
        let col = index - row * cols;
        let xhat = (${input(residual, 'index')} - stats[row * 2]) * stats[row * 2 + 1];
        result[index] = xhat * gamma[col] + beta[col];`,
  );
}

function gradXProgram(n: number, h: number): RowProgram {
  return new RowProgram(
    'mlmLayerNormGradX',
    ['dy', 'x', 'gamma', 'stats'],
    [n, h],
    n,
    `var<workgroup> buf : array<vec2<f32>, ${ROW_BLOCK}>;`,
    `
      let cols = uniforms.xShape[1];
      let base = row * cols;
      let mean = stats[row * 2];
      let rstd = stats[row * 2 + 1];
      var acc = vec2<f32>(0.0, 0.0);
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) {
        let g = dy[base + c] * gamma[c];
        acc += vec2<f32>(g, g * (x[base + c] - mean) * rstd);
      }
      buf[tid] = acc;
      ${reduceSnippet((a, b) => `${a} + ${b}`)}
      let a = buf[0].x / f32(cols);
      let b = buf[0].y / f32(cols);
      if (inRange) {
        for (var c = tid; c < cols; c += ${ROW_BLOCK}) {
          let xhat = (x[base + c] - mean) * rstd;
          result[base + c] = rstd * (dy[base + c] * gamma[c] - a - xhat * b);
        }
      }`,
  );
}

/** Partial sums over chunks of COL_CHUNK rows: [chunks, 2h] = (Σ dy·x̂ | Σ dy) per column. */
function gradParamsPartialProgram(n: number, h: number): FlatProgram {
  const chunks = Math.ceil(n / COL_CHUNK);
  return new FlatProgram(
    'mlmLayerNormGradParamsPartial',
    ['dy', 'x', 'stats'],
    [chunks, 2 * h],
    `
        let cols = uniforms.xShape[1];
        let rows = uniforms.xShape[0];
        let chunk = index / (2 * cols);
        let k = index - chunk * 2 * cols;
        let col = k % cols;
        let first = chunk * ${COL_CHUNK};
        let last = min(first + ${COL_CHUNK}, rows);
        var s = 0.0;
        for (var r = first; r < last; r++) {
          let d = dy[r * cols + col];
          if (k < cols) {
            s += d * (x[r * cols + col] - stats[r * 2]) * stats[r * 2 + 1];
          } else {
            s += d;
          }
        }
        result[index] = s;`,
  );
}

/** dgamma (part 0) or dbeta (part 1) [h]: the sum of the partials over chunks. */
function gradParamsSumProgram(h: number, part: 0 | 1): FlatProgram {
  return new FlatProgram(
    `mlmLayerNormGradParamsSum${part}`,
    ['partial'],
    [h],
    `
        let width = uniforms.partialShape[1];
        var s = 0.0;
        for (var c = 0; c < uniforms.partialShape[0]; c++) {
          s += partial[c * width + ${part} * (width / 2) + index];
        }
        result[index] = s;`,
  );
}

/** The kernel configs registered for webgpu (kernels/webgpu/index.ts). */
export function layerNormWebgpuKernels(): tf.KernelConfig[] {
  return [
    {
      kernelName: LAYER_NORM,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, residual, gamma, beta } = inputs as Record<string, tf.TensorInfo | undefined>;
        const b = backend as unknown as WebgpuBackendLike;
        const [n, h] = x!.shape;
        const xs = residual ? [x!, residual] : [x!];
        const eps = (attrs as { eps: number }).eps;
        const uniforms = [
          { type: 'int32' as const, data: [n] },
          { type: 'float32' as const, data: [eps] },
        ];
        const stats = b.runWebGPUProgram(statsProgram(n, !!residual), xs, 'float32', uniforms);
        const y = b.runWebGPUProgram(
          applyProgram(n, h, !!residual),
          [...xs, stats, gamma!, beta!],
          'float32',
        );
        if (!residual) return [y, stats];
        b.disposeData(stats.dataId);
        return [y];
      },
    },
    {
      kernelName: LAYER_NORM_GRAD,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const { dy, x, gamma, rstd: stats } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as unknown as WebgpuBackendLike;
        const [n, h] = x.shape;
        const dx = b.runWebGPUProgram(gradXProgram(n, h), [dy, x, gamma, stats], 'float32', [
          { type: 'int32', data: [n] },
        ]);
        const partial = b.runWebGPUProgram(gradParamsPartialProgram(n, h), [dy, x, stats], 'float32');
        const dgamma = b.runWebGPUProgram(gradParamsSumProgram(h, 0), [partial], 'float32');
        const dbeta = runAndFree(b, gradParamsSumProgram(h, 1), [partial], undefined, [partial]);
        return [dx, dgamma, dbeta];
      },
    },
  ];
}
