/**
 * The fused AdamW update for the webgpu backend under the kernel name of kernels/fusedAdamW.ts (train/adamw.ts
 * takes it on webgpu as on wasm and cpu). The tf-op path launches ~14 elementwise shaders per parameter tensor;
 * here three, one per output, each computing the update of one element in the operation order of the other
 * backends (kernels/fusedAdamW.ts adamwUpdate):
 *   MlmAdamW: p, m, v, g (same shape) → p', m', v'
 *   g ← g · scale; m' = m β1 + g (1 − β1); v' = v β2 + g² (1 − β2); p' = p · decay − m' / (√v' / bc2 + ε) · step
 * Tested against the cpu backend in test/webgpu/kernels.test.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ADAMW, scalars, type AdamWAttrs } from '../fusedAdamW';
import { FlatProgram, type WebgpuBackendLike } from './program';

const UNIFORMS =
  'b1 : f32, c1 : f32, b2 : f32, c2 : f32, eps : f32, decay : f32, step : f32, bc2 : f32, scale : f32,';

const OUTPUT = {
  p: 'result[index] = p[index] * uniforms.decay - m1 / (sqrt(v1) / uniforms.bc2 + uniforms.eps) * uniforms.step;',
  m: 'result[index] = m1;',
  v: 'result[index] = v1;',
};

function program(shape: number[], output: keyof typeof OUTPUT): FlatProgram {
  // Every binding must be used (the pipeline's layout is derived from the shader): '_ = p[index]' for m', v'.
  const body = `
        _ = p[index];
        let gs = g[index] * uniforms.scale;
        let m1 = m[index] * uniforms.b1 + gs * uniforms.c1;
        let v1 = v[index] * uniforms.b2 + gs * gs * uniforms.c2;
        ${OUTPUT[output]}`;
  return new FlatProgram(`mlmAdamW_${output}`, ['p', 'm', 'v', 'g'], shape, body, UNIFORMS);
}

/** The kernel configs registered for webgpu (kernels/webgpu/index.ts). */
export function adamwWebgpuKernels(): tf.KernelConfig[] {
  return [
    {
      kernelName: ADAMW,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { p, m, v, g } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as unknown as WebgpuBackendLike;
        // One uniform per scalar (an array would be laid out as a vector).
        const uniforms = scalars(attrs as unknown as AdamWAttrs).map((x) => ({
          type: 'float32' as const,
          data: [x],
        }));
        return (['p', 'm', 'v'] as const).map((out) =>
          b.runWebGPUProgram(program([...p.shape], out), [p, m, v, g], 'float32', uniforms),
        );
      },
    },
  ];
}
