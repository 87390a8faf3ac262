/**
 * Exact (erf) GELU for the webgpu backend, forward and backward, under the kernel names of kernels/gelu.ts
 * (so model/ops.ts gelu takes them on webgpu as on wasm and cpu). Stock tfjs would launch Multiply, Erf, Add,
 * Multiply forward and ~8 elementwise shaders backward; here:
 *   MlmGelu:     x → y = x Φ(x), cdf = Φ(x)   (two elementwise shaders; cdf is saved for the backward)
 *   MlmGeluGrad: dy, x, cdf → dx = dy (cdf + x φ(x))   (one elementwise shader)
 * Φ(x) = ½ erfc(−x / √2) with Numerical Recipes' erfc (t · exp(−z² + P(t)), relative error < 1.2e-7), the fit
 * kernels/gelu.ts uses (its float32 exp-splitting is not needed on a GPU: WGSL's exp is accurate to a few ulp),
 * y = max(x, 0) − |x| · ½ erfc(|x| / √2) so the tail keeps its relative accuracy; x is clamped to ±12.5 inside
 * Φ and x φ(x) as on the CPU. Tested against the cpu backend in test/webgpu/kernels.test.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GELU, GELU_GRAD } from '../gelu';
import { FlatProgram, type WebgpuBackendLike } from './program';

/** P(t) of erfc (kernels/gelu.ts P_COEF), highest power first for Horner's scheme. */
const P_COEF = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];
const wgslFloat = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);

/** WGSL: halfErfc(x) = ½ erfc(|x'| / √2) = Φ(−|x'|) with x' = clamp(x, ±12.5); phi(x) = x' φ(x'). */
const FUNCTIONS = `
    fn halfErfc(x : f32) -> f32 {
      let z = abs(clamp(x, -12.5, 12.5)) * ${Math.SQRT1_2};
      let t = 1.0 / (1.0 + 0.5 * z);
      var p = ${wgslFloat(P_COEF[P_COEF.length - 1])};
      ${P_COEF.slice(0, -1)
        .reverse()
        .map((c) => `p = p * t + ${wgslFloat(c)};`)
        .join('\n      ')}
      return 0.5 * t * exp(-z * z + p);
    }
    fn xPhi(x : f32) -> f32 {
      let c = clamp(x, -12.5, 12.5);
      return c * exp(-0.5 * c * c) * ${1 / Math.sqrt(2 * Math.PI)};
    }`;

/** y = x Φ(x) or cdf = Φ(x), elementwise. */
function forwardProgram(shape: number[], output: 'y' | 'cdf'): FlatProgram {
  const body =
    output === 'y'
      ? 'let v = x[index]; result[index] = max(v, 0.0) - abs(v) * halfErfc(v);'
      : 'let v = x[index]; let h = halfErfc(v); result[index] = select(h, 1.0 - h, v >= 0.0);';
  return new FlatProgram(`mlmGelu_${output}`, ['x'], shape, body, undefined, FUNCTIONS);
}

function gradProgram(shape: number[]): FlatProgram {
  return new FlatProgram(
    'mlmGeluGrad',
    ['dy', 'x', 'cdf'],
    shape,
    'result[index] = dy[index] * (cdf[index] + xPhi(x[index]));',
    undefined,
    FUNCTIONS,
  );
}

/** The kernel configs registered for webgpu (kernels/webgpu/index.ts). */
export function geluWebgpuKernels(): tf.KernelConfig[] {
  return [
    {
      kernelName: GELU,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x } = inputs as { x: tf.TensorInfo };
        const b = backend as unknown as WebgpuBackendLike;
        return [
          b.runWebGPUProgram(forwardProgram([...x.shape], 'y'), [x], 'float32'),
          b.runWebGPUProgram(forwardProgram([...x.shape], 'cdf'), [x], 'float32'),
        ];
      },
    },
    {
      kernelName: GELU_GRAD,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const { dy, x, cdf } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as unknown as WebgpuBackendLike;
        return b.runWebGPUProgram(gradProgram([...x.shape]), [dy, x, cdf], 'float32');
      },
    },
  ];
}
