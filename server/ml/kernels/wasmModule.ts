/**
 * What the hand-built SIMD WebAssembly modules of the kernels share (adamw.ts, gelu.ts, layerNormSimd.ts,
 * smallGemm.ts; their instructions are written with wasmOps.ts's named opcodes): assembling a module whose
 * functions run on an imported memory, and binding it, once per memory, to a wasm backend's heap (tfjs's own memory; shared on the threaded
 * binary), so that kernels pass byte offsets of tensors as pointers.
 */
import type { WasmBackend } from './wasmHeap';
import { u32, vec, type Code } from './wasmOps';

export interface WasmFunction {
  /** Export name. */
  name: string;
  params: number[];
  results: number[];
  /** Locals after the parameters, as runs of [count, type]: local indices continue from the last parameter's. */
  locals: [number, number][];
  /** The instructions (the final `end` is added). */
  body: Code;
}

/** Section ids of the binary format. */
const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 };
const MAGIC_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
const FUNC_TYPE = 0x60;
const IMPORT_MEMORY = 0x02;
const EXPORT_FUNC = 0x00;
/** Memory limits: flag 0 (min only) or 3 (shared, min and max); min 0 pages, a shared one's max 65536 pages. */
const memoryLimits = (shared: boolean): number[] => (shared ? [0x03, 0, ...u32(65536)] : [0x00, 0]);

/** A module importing `env.memory` (shared or not) and exporting the functions, each with its own type. */
export function memoryModule(shared: boolean, fns: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const section = (id: number, items: Code[]): number[] => {
    const body = vec(items);
    return [id, ...u32(body.length), ...body];
  };
  const str = (t: string): number[] => [...u32(t.length), ...[...t].map((c) => c.charCodeAt(0))];
  const types = fns.map((f) => [
    FUNC_TYPE,
    ...vec(f.params.map((t) => [t])),
    ...vec(f.results.map((t) => [t])),
  ]);
  const code = (f: WasmFunction): number[] => [
    ...vec(f.locals.map(([count, type]) => [...u32(count), type])),
    ...f.body,
    0x0b, // end
  ];
  return new Uint8Array([
    ...MAGIC_VERSION,
    ...section(SECTION.type, types),
    ...section(SECTION.import, [[...str('env'), ...str('memory'), IMPORT_MEMORY, ...memoryLimits(shared)]]),
    ...section(
      SECTION.function,
      fns.map((_, k) => u32(k)),
    ),
    ...section(
      SECTION.export,
      fns.map((f, k) => [...str(f.name), EXPORT_FUNC, ...u32(k)]),
    ),
    ...section(
      SECTION.code,
      fns.map(code).map((c) => [...u32(c.length), ...c]),
    ),
  ]);
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
