/**
 * What the hand-built SIMD WebAssembly modules of the kernels share (adamw.ts, gelu.ts, layerNormSimd.ts,
 * smallGemm.ts): the binary encoding helpers, assembling a module whose functions run on an imported memory,
 * and binding it, once per memory, to a wasm backend's heap (tfjs's own memory; shared on the threaded
 * binary), so that kernels pass byte offsets of tensors as pointers.
 */
import type { WasmBackend } from './wasmHeap';

/** Unsigned LEB128. */
export const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
};
/** A vector: its length, then the items. */
export const vec = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];
/** local.get / local.set of a local below 128. */
export const get = (i: number): number[] => [0x20, i];
export const set = (i: number): number[] => [0x21, i];
/** A SIMD (0xfd-prefixed) instruction. */
export const simd = (op: number): number[] => [0xfd, ...u32(op)];

/** Value types. */
export const [I32, F32, F64, V128] = [0x7f, 0x7d, 0x7c, 0x7b];

export interface WasmFunction {
  /** Export name. */
  name: string;
  params: number[];
  results: number[];
  /** Locals vector and instructions, ending with `end` (0x0b). */
  body: number[];
}

/** A module importing `env.memory` (shared or not) and exporting the functions, each with its own type. */
export function memoryModule(shared: boolean, fns: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
  const str = (t: string): number[] => [...u32(t.length), ...[...t].map((c) => c.charCodeAt(0))];
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const limits = shared ? [0x03, 0, ...u32(65536)] : [0x00, 0];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]])),
    ...section(3, vec(fns.map((_, k) => [k]))),
    ...section(7, vec(fns.map((f, k) => [...str(f.name), 0x00, k]))),
    ...section(10, vec(fns.map((f) => [...u32(f.body.length), ...f.body]))),
  ];
  return new Uint8Array(bytes);
}

/** Every hand-built module by name (its builder, for the memory kind): the kernel tests hash their bytes. */
export const wasmModules = new Map<string, (shared: boolean) => Uint8Array<ArrayBuffer>>();

/**
 * A function giving the module's exports bound to a wasm backend's memory, built once per memory, or null
 * where they cannot be built (not a wasm backend, no SIMD): the kernels then run their JavaScript loops.
 */
export function onBackendMemory<T>(
  name: string,
  build: (shared: boolean) => Uint8Array<ArrayBuffer>,
): (backend: unknown) => T | null {
  wasmModules.set(name, build);
  const cache = new WeakMap<object, T | null>();
  return (backend) => {
    const w = (backend as WasmBackend | undefined)?.wasm as unknown as
      { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } | undefined;
    const memory = w?.wasmMemory ?? w?.asm?.memory;
    if (!memory) return null;
    let fns = cache.get(memory);
    if (fns === undefined) {
      try {
        const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
        fns = new WebAssembly.Instance(new WebAssembly.Module(build(shared)), { env: { memory } })
          .exports as unknown as T;
      } catch {
        fns = null;
      }
      cache.set(memory, fns);
    }
    return fns;
  };
}
