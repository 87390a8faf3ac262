/**
 * Fused self-attention for the webgpu backend, for inference (no gradient), under the name of the wasm kernel
 * (kernels/selfAttention.ts, MlmSelfAttention; model/attention.ts takes it when no tape records and dropout is
 * 0: fill-mask, predict, evaluation). Stock tfjs launches ~9 shaders per layer (reshape, transpose, unstack, two
 * batched matMuls, the mask add, softmax) and writes the [batch, heads, t, t] scores and probabilities; here one
 * shader: one workgroup per (query row, head) computes that row's t scores (q·k + mask bias) into workgroup
 * memory, their softmax (max and Σexp reduced in workgroup memory), then the context row Σⱼ pⱼ vⱼ.
 *   qkv [b·t, 3h] (queries already scaled by 1/√dh), maskBias [b, t]? → [b·t, h]
 *   with rows int32 [m] (flat b·t + r): those query rows only → [m, h]
 *   with rows and q [m, h] (those rows' queries): qkv is k|v [b·t, 2h]
 * Sequences longer than MAX_SEQ keys are left to the composite (hasSelfAttentionKernel(seqLen)). Tested against the cpu
 * backend's composite in test/webgpu/kernels.test.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  SELF_ATTENTION,
  WEBGPU_ATTENTION_MAX_SEQ as MAX_SEQ,
  type SelfAttentionAttrs,
} from '../selfAttention';
import { reduceSnippet, ROW_BLOCK, RowProgram, type WebgpuBackendLike } from './program';

// MAX_SEQ keys per workgroup in workgroup memory: 4 KiB of the 16 KiB every WebGPU device has.

function attentionProgram(
  outRows: number,
  hidden: number,
  heads: number,
  mask: boolean,
  rows: boolean,
  q: boolean,
): RowProgram {
  const names = ['qkv', ...(mask ? ['maskBias'] : []), ...(rows ? ['rowIds'] : []), ...(q ? ['q'] : [])];
  return new RowProgram(
    `mlmSelfAttention_${+mask}${+rows}${+q}`,
    names,
    [outRows, hidden],
    outRows * heads,
    `var<workgroup> buf : array<f32, ${ROW_BLOCK}>;
    var<workgroup> sc : array<f32, ${MAX_SEQ}>;`,
    `
      let t = uniforms.seqLen;
      let heads = uniforms.heads;
      let dh = uniforms.headDim;
      let hidden = heads * dh;
      let hi = row % heads;
      let qi = row / heads;
      let flat = ${rows ? 'rowIds[qi]' : 'qi'};
      let bi = flat / t;
      let qBase = ${q ? 'qi * hidden' : 'flat * 3 * hidden'} + hi * dh;
      let kvw = ${q ? 2 : 3} * hidden;
      let kOff = ${q ? '0' : 'hidden'} + hi * dh;
      let vOff = kOff + hidden;
      var m = -3.402823e+38f;
      for (var j = tid; j < t; j += ${ROW_BLOCK}) {
        let kb = (bi * t + j) * kvw + kOff;
        var s = 0.0;
        for (var d = 0; d < dh; d++) {
          s += ${q ? 'q' : 'qkv'}[qBase + d] * qkv[kb + d];
        }
        ${mask ? 's += maskBias[bi * t + j];' : ''}
        sc[j] = s;
        m = max(m, s);
      }
      buf[tid] = m;
      ${reduceSnippet((a, b) => `max(${a}, ${b})`)}
      let mx = buf[0];
      workgroupBarrier();
      var z = 0.0;
      for (var j = tid; j < t; j += ${ROW_BLOCK}) {
        let e = exp(sc[j] - mx);
        sc[j] = e;
        z += e;
      }
      buf[tid] = z;
      ${reduceSnippet((a, b) => `${a} + ${b}`)}
      let inv = 1.0 / buf[0];
      if (inRange) {
        for (var d = tid; d < dh; d += ${ROW_BLOCK}) {
          var acc = 0.0;
          for (var j = 0; j < t; j++) {
            acc += sc[j] * qkv[(bi * t + j) * kvw + vOff + d];
          }
          result[qi * hidden + hi * dh + d] = acc * inv;
        }
      }`,
    'seqLen : i32, heads : i32, headDim : i32,',
  );
}

/** The kernel config registered for webgpu (kernels/webgpu/index.ts). */
export function attentionWebgpuKernels(): tf.KernelConfig[] {
  return [
    {
      kernelName: SELF_ATTENTION,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { qkv, maskBias, rows, q } = inputs as Record<string, tf.TensorInfo | undefined>;
        const { batchSize: b, seqLen: t, heads } = attrs as unknown as SelfAttentionAttrs;
        const hidden = qkv!.shape[1] / (q ? 2 : 3);
        const dh = hidden / heads;
        if (qkv!.shape[0] !== b * t || !Number.isInteger(dh) || t > MAX_SEQ || (q && !rows)) {
          throw new Error(
            `webgpu self-attention needs qkv [batch·seqLen, 3·hidden] (k|v with q and rows), hidden divisible by ` +
              `heads and seqLen ≤ ${MAX_SEQ}; got [${qkv!.shape.join(', ')}] for batch ${b}, seqLen ${t}, heads ${heads}`,
          );
        }
        const outRows = rows ? rows.shape[0] : b * t;
        const ins = [qkv!, maskBias, rows, q].filter((x): x is tf.TensorInfo => x !== undefined);
        const program = attentionProgram(outRows, hidden, heads, !!maskBias, !!rows, !!q);
        return (backend as unknown as WebgpuBackendLike).runWebGPUProgram(program, ins, 'float32', [
          { type: 'int32', data: [outRows * heads] },
          { type: 'int32', data: [t] },
          { type: 'int32', data: [heads] },
          { type: 'int32', data: [dh] },
        ]);
      },
    },
  ];
}
