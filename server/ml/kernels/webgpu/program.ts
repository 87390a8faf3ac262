/**
 * What our WGSL kernels share: the part of tfjs-backend-webgpu's backend they call, and two program shapes —
 * `FlatProgram` (one invocation per output element, `index`) and `RowProgram` (one workgroup of ROW_BLOCK
 * invocations per row of a [rows, cols] tensor, reducing in workgroup memory). tfjs writes the header of the
 * shader (bindings: each variable name as a read-only storage array, `result`, `uniforms` with every input's
 * shape, `outShape` and `size`) and calls `main(index)`; a dispatch over the per-dimension limit (65,535) is
 * reshaped by the backend, so row programs clamp their reads and guard their writes (rows ≥ the row count).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export type ProgramUniforms = Array<{ type: 'float32' | 'int32'; data: number[] }>;

/** The part of tfjs-backend-webgpu's WebGPUBackend our kernels use. */
export interface WebgpuBackendLike {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniforms,
  ): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

/** Invocations per row of a RowProgram (a power of two: the tree reductions halve it). */
export const ROW_BLOCK = 256;
/** Invocations per workgroup of a FlatProgram. */
const FLAT_BLOCK = 64;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** One invocation per output element: `body` runs with `index` < uniforms.size. */
export class FlatProgram implements WebGPUProgram {
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [FLAT_BLOCK, 1, 1];
  size = true;

  constructor(
    readonly shaderKey: string,
    readonly variableNames: string[],
    readonly outputShape: number[],
    private readonly body: string,
    readonly uniforms?: string,
    private readonly functions = '',
  ) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(count(outputShape) / FLAT_BLOCK), 1, 1];
  }

  getUserCode(): string {
    return `
    ${this.functions}
    fn main(index : i32) {
      if (index < uniforms.size) {
        ${this.body}
      }
    }`;
  }
}

/**
 * A tree reduction of `buf` (ROW_BLOCK entries, each invocation's partial at buf[tid]) with `combine(a, b)`;
 * afterwards buf[0] holds the result. Every invocation of the workgroup must run it (barriers).
 */
export function reduceSnippet(combine: (a: string, b: string) => string, buf = 'buf'): string {
  return `
      workgroupBarrier();
      for (var s = ${ROW_BLOCK / 2}; s > 0; s = s >> 1) {
        if (tid < s) {
          ${buf}[tid] = ${combine(`${buf}[tid]`, `${buf}[tid + s]`)};
        }
        workgroupBarrier();
      }`;
}

/**
 * One workgroup per row of `rows` rows: `body` runs with `row` (clamped to the last row for reads), `tid`
 * (0 … ROW_BLOCK − 1) and `inRange` (false for the padding workgroups of a reshaped dispatch: guard writes).
 * `workgroupVars` declares the reduction buffers.
 */
export class RowProgram implements WebGPUProgram {
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ROW_BLOCK, 1, 1];
  uniforms = 'rows : i32,';

  constructor(
    readonly shaderKey: string,
    readonly variableNames: string[],
    readonly outputShape: number[],
    rows: number,
    private readonly workgroupVars: string,
    private readonly body: string,
    extraUniforms = '',
  ) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [rows, 1, 1];
    this.uniforms += extraUniforms;
  }

  getUserCode(): string {
    return `
    ${this.workgroupVars}
    fn main(index : i32) {
      let rawRow = index / ${ROW_BLOCK};
      let inRange = rawRow < uniforms.rows;
      let row = min(rawRow, uniforms.rows - 1);
      let tid = i32(localId.x);
      ${this.body}
    }`;
  }
}

/** Runs a program and frees the given intermediate results afterwards (they were inputs of this one). */
export function runAndFree(
  backend: WebgpuBackendLike,
  program: WebGPUProgram,
  inputs: tf.TensorInfo[],
  uniforms: ProgramUniforms | undefined,
  free: tf.TensorInfo[] = [],
): tf.TensorInfo {
  const out = backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
  for (const t of free) backend.disposeData(t.dataId);
  return out;
}
