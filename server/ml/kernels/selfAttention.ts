/**
 * Self-attention core as one wasm kernel, for inference (no gradient): from the fused Q|K|V projection
 * qkv [batch·seqLen, 3·hidden] (query already scaled by 1/√headDim) and an optional additive key bias
 * maskBias [batch, seqLen] → context [batch·seqLen, hidden]. Replaces ~9 launches per layer (reshape,
 * transpose, unstack, two batched matMuls with their transposes, mask add, softmax) with one: per sequence,
 * all heads' products run on smallGemm's SIMD tiles reading q, k and v in place, and the softmax runs in
 * JavaScript (seqLen² values per head). Without the SIMD tiles, per (batch, head) the head's q, kᵀ and v are
 * copied into scratch memory and both products run on XNNPACK. Differs from the composite only by float
 * rounding. Training keeps the composite in model/attention.ts (it has a gradient).
 *
 * Over 300 lines: the SIMD-tile and XNNPACK paths of one kernel share its scratch memory and its softmax.
 */
import * as tf from '@tensorflow/tfjs-core';
import { data, dropView, product, view } from './batchMatMul';
import { hasSmallGemm, smallGemm } from './smallGemm';
import { syncHeap, type WasmBackend } from './wasmHeap';

export const SELF_ATTENTION = 'MlmSelfAttention';

export interface SelfAttentionAttrs {
  batchSize: number;
  seqLen: number;
  heads: number;
}

/** The whole heap as float32 (take it again after anything that may allocate). */
function heap(backend: WasmBackend): Float32Array {
  syncHeap(backend);
  return new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer);
}

function selfAttention(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { qkv, maskBias, rows, q } = args.inputs as {
    qkv: tf.TensorInfo;
    maskBias?: tf.TensorInfo;
    rows?: tf.TensorInfo;
    q?: tf.TensorInfo;
  };
  const { batchSize: b, seqLen: t, heads } = args.attrs as unknown as SelfAttentionAttrs;
  const width = qkv.shape[1];
  const hidden = width / (q ? 2 : 3);
  const dh = hidden / heads;
  if (qkv.shape.length !== 2 || qkv.shape[0] !== b * t || !Number.isInteger(dh)) {
    throw new Error(
      `self-attention needs qkv [batch·seqLen, 3·hidden] (or k|v [batch·seqLen, 2·hidden] with q) with hidden ` +
        `divisible by heads; got [${qkv.shape.join(', ')}] for batch ${b}, seqLen ${t}, heads ${heads}`,
    );
  }
  if (q && (!rows || q.shape.length !== 2 || q.shape[0] !== rows.shape[0] || q.shape[1] !== hidden)) {
    throw new Error(
      `self-attention with a separate q needs rows and q [rows, ${hidden}]; got [${q.shape.join(', ')}]`,
    );
  }
  if (rows) return attendRows(backend, qkv, maskBias, rows, b, t, heads, q);
  if (hasSmallGemm(backend)) return attendSmall(backend, qkv, maskBias, b, t, heads);
  const out = backend.makeOutput([b * t, hidden], 'float32');
  // Scratch: q [t, dh] | kᵀ [dh, t] | v [t, dh] | scores [t, t] | ctx [t, dh] (float offsets).
  const oQ = 0;
  const oK = oQ + t * dh;
  const oV = oK + dh * t;
  const oS = oV + t * dh;
  const oC = oS + t * t;
  const scratch = backend.makeOutput([oC + t * dh], 'float32');
  const base = data(backend, scratch).memoryOffset;
  const qView = view(backend, base + oQ * 4, [1, t, dh]);
  const sView = view(backend, base + oS * 4, [1, t, t]);
  const cView = view(backend, base + oC * 4, [1, t, dh]);
  const qkvAt = data(backend, qkv).memoryOffset / 4;
  const outAt = data(backend, out).memoryOffset / 4;
  const maskAt = maskBias ? data(backend, maskBias).memoryOffset / 4 : -1;
  const s0 = base / 4;
  try {
    for (let bi = 0; bi < b; bi++) {
      for (let hi = 0; hi < heads; hi++) {
        // Right operands get fresh ids per head: XNNPACK caches packed weights by tensor id.
        const kView = view(backend, base + oK * 4, [1, dh, t]);
        const vView = view(backend, base + oV * 4, [1, t, dh]);
        try {
          let m = heap(backend);
          for (let r = 0; r < t; r++) {
            const src = qkvAt + (bi * t + r) * width + hi * dh;
            m.copyWithin(s0 + oQ + r * dh, src, src + dh);
            m.copyWithin(s0 + oV + r * dh, src + 2 * hidden, src + 2 * hidden + dh);
            const k = src + hidden;
            for (let c = 0; c < dh; c++) m[s0 + oK + c * t + r] = m[k + c];
          }
          product(backend, qView, kView, sView, t, dh, t); // scores [t, t] = q · kᵀ
          m = heap(backend);
          softmaxRows(m, s0 + oS, t, t, maskAt >= 0 ? maskAt + bi * t : -1);
          product(backend, sView, vView, cView, t, t, dh); // ctx [t, dh] = probs · v
          m = heap(backend);
          for (let r = 0; r < t; r++) {
            const dst = outAt + (bi * t + r) * hidden + hi * dh;
            m.copyWithin(dst, s0 + oC + r * dh, s0 + oC + (r + 1) * dh);
          }
        } finally {
          dropView(backend, kView);
          dropView(backend, vView);
        }
      }
    }
  } finally {
    dropView(backend, qView);
    dropView(backend, sView);
    dropView(backend, cView);
    backend.disposeData(scratch.dataId);
  }
  return out;
}

/**
 * All heads of a sequence at once on smallGemm's SIMD tiles, reading q, k and v in place in qkv and writing
 * the context straight into the output: scores [heads, t, t] = q · kᵀ, the softmax in JavaScript, then
 * context = probs · v. No copies and no XNNPACK operator setup per head.
 */
function attendSmall(
  backend: WasmBackend,
  qkv: tf.TensorInfo,
  maskBias: tf.TensorInfo | undefined,
  b: number,
  t: number,
  heads: number,
): tf.TensorInfo {
  const width = qkv.shape[1];
  const hidden = width / 3;
  const dh = hidden / heads;
  const out = backend.makeOutput([b * t, hidden], 'float32');
  const scores = backend.makeOutput([heads * t * t], 'float32');
  const qkvAt = data(backend, qkv).memoryOffset / 4;
  const outAt = data(backend, out).memoryOffset / 4;
  const sAt = data(backend, scores).memoryOffset / 4;
  const maskAt = maskBias ? data(backend, maskBias).memoryOffset / 4 : -1;
  try {
    for (let bi = 0; bi < b; bi++) {
      const at = qkvAt + bi * t * width;
      // scores[h] = q_h [t, dh] · k_hᵀ (k_h read as a [dh, t] with column stride width)
      smallGemm(backend, {
        m: t,
        n: t,
        k: dh,
        a: at,
        aRow: width,
        aCol: 1,
        b: at + hidden,
        bRow: 1,
        bCol: width,
        c: sAt,
        cRow: t,
        count: heads,
        aStride: dh,
        bStride: dh,
        cStride: t * t,
      });
      const m = heap(backend);
      softmaxRows(m, sAt, heads * t, t, maskAt >= 0 ? maskAt + bi * t : -1);
      // context[:, h·dh : (h+1)·dh] = probs[h] · v_h
      smallGemm(backend, {
        m: t,
        n: dh,
        k: t,
        a: sAt,
        aRow: t,
        aCol: 1,
        b: at + 2 * hidden,
        bRow: width,
        c: outAt + bi * t * hidden,
        cRow: hidden,
        count: heads,
        aStride: t * t,
        bStride: dh,
        cStride: dh,
      });
    }
  } finally {
    backend.disposeData(scores.dataId);
  }
  return out;
}

/**
 * Only the query rows `rows` (flat b·t + r) → [rows.length, hidden], in JavaScript: for a handful of rows
 * (the last layer of fill-mask) the dot products cost less than the XNNPACK calls. With q [rows, hidden] (the
 * queries of those rows alone, already scaled), qkv holds only k|v [b·t, 2·hidden].
 */
function attendRows(
  backend: WasmBackend,
  qkv: tf.TensorInfo,
  maskBias: tf.TensorInfo | undefined,
  rows: tf.TensorInfo,
  b: number,
  t: number,
  heads: number,
  q?: tf.TensorInfo,
): tf.TensorInfo {
  const width = qkv.shape[1];
  const hidden = width / (q ? 2 : 3);
  const dh = hidden / heads;
  const count = rows.shape[0];
  const out = backend.makeOutput([count, hidden], 'float32');
  const m = heap(backend);
  const idx = new Int32Array(m.buffer, data(backend, rows).memoryOffset, count);
  const qkvAt = data(backend, qkv).memoryOffset / 4;
  const qAt = q ? data(backend, q).memoryOffset / 4 : -1;
  const kOff = q ? 0 : hidden; // k and v columns within a qkv row
  const vOff = kOff + hidden;
  const outAt = data(backend, out).memoryOffset / 4;
  const maskAt = maskBias ? data(backend, maskBias).memoryOffset / 4 : -1;
  const scores = new Float64Array(t);
  const ctx = new Float64Array(dh);
  for (let i = 0; i < count; i++) {
    const p = idx[i];
    if (!(p >= 0 && p < b * t)) {
      backend.disposeData(out.dataId);
      throw new Error(`self-attention row ${p} is outside the batch [0, ${b * t})`);
    }
    const first = p - (p % t); // the row's sequence starts here
    for (let hi = 0; hi < heads; hi++) {
      const qi = (q ? qAt + i * hidden : qkvAt + p * width) + hi * dh;
      let max = -Infinity;
      for (let j = 0; j < t; j++) {
        const k = qkvAt + (first + j) * width + kOff + hi * dh;
        let dot = 0;
        for (let c = 0; c < dh; c++) dot += m[qi + c] * m[k + c];
        let x = Math.fround(dot);
        if (maskAt >= 0) x = Math.fround(x + m[maskAt + first + j]);
        scores[j] = x;
        if (x > max) max = x;
      }
      let sum = 0;
      for (let j = 0; j < t; j++) {
        scores[j] = Math.fround(Math.exp(scores[j] - max));
        sum += scores[j];
      }
      ctx.fill(0);
      for (let j = 0; j < t; j++) {
        const w = scores[j] / sum;
        const v = qkvAt + (first + j) * width + vOff + hi * dh;
        for (let c = 0; c < dh; c++) ctx[c] += w * m[v + c];
      }
      const dst = outAt + i * hidden + hi * dh;
      for (let c = 0; c < dh; c++) m[dst + c] = ctx[c];
    }
  }
  return out;
}

/**
 * In place on the heap: softmax over each of `rows` rows of t scores from `at`, after adding the sequence's
 * mask bias (t values from maskAt; -1 = no padding). float32 steps, as the composite's tf ops.
 */
function softmaxRows(m: Float32Array, at: number, rows: number, t: number, maskAt: number): void {
  for (let r = 0; r < rows; r++) {
    const row = at + r * t;
    let max = -Infinity;
    for (let j = 0; j < t; j++) {
      const x = maskAt >= 0 ? Math.fround(m[row + j] + m[maskAt + j]) : m[row + j];
      m[row + j] = x;
      if (x > max) max = x;
    }
    let sum = 0;
    for (let j = 0; j < t; j++) {
      const e = Math.fround(Math.exp(m[row + j] - max));
      m[row + j] = e;
      sum += e;
    }
    const inv = 1 / Math.fround(sum);
    for (let j = 0; j < t; j++) m[row + j] *= inv;
  }
}

export const selfAttentionConfig: tf.KernelConfig = {
  kernelName: SELF_ATTENTION,
  backendName: 'wasm',
  kernelFunc: selfAttention as unknown as tf.KernelFunc,
};

/** Keys the webgpu kernel (kernels/webgpu/attention.ts) holds per workgroup: longer sequences use the composite. */
export const WEBGPU_ATTENTION_MAX_SEQ = 1024;

/**
 * True when the current backend has the kernel for sequences of seqLen tokens: wasm after registerWasmKernels,
 * and webgpu (kernels/webgpu/attention.ts) up to WEBGPU_ATTENTION_MAX_SEQ.
 */
export function hasSelfAttentionKernel(seqLen: number): boolean {
  const backend = tf.getBackend();
  if (backend === 'webgpu' && seqLen > WEBGPU_ATTENTION_MAX_SEQ) return false;
  return tf.getKernel(SELF_ATTENTION, backend) !== undefined;
}

/**
 * qkv [b·t, 3h], maskBias [b, t] or undefined → [b·t, h]; with rows (int32 [m], flat b·t + r) only those
 * query rows → [m, h], and with q [m, h] (those rows' scaled queries) qkv is k|v [b·t, 2h]. No gradient: call
 * only while no tape records.
 */
export function selfAttentionKernel(
  qkv: tf.Tensor2D,
  maskBias: tf.Tensor2D | undefined,
  attrs: SelfAttentionAttrs,
  rows?: tf.Tensor1D,
  q?: tf.Tensor2D,
): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = { qkv };
  if (maskBias) inputs.maskBias = maskBias;
  if (rows) inputs.rows = rows;
  if (q) inputs.q = q;
  return tf.engine().runKernel(SELF_ATTENTION, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
