/**
 * LayerNorm's row loops as 2-lane f64 / 4-lane f32 SIMD functions in a tiny WebAssembly module that imports
 * tfjs's own memory (byte offsets as pointers; n a multiple of 4), like adamw.ts. The same float64 operations
 * in the same order as layerNormForward's JavaScript, so the same bits, ~3× faster.
 *   sum(p, n)                          → Σ x as (s0 + s2) + (s1 + s3) over the four lanes' partial sums
 *   sqDev(p, n, mean)                  → Σ (x − mean)², grouped the same way
 *   affine(x, y, g, b, n, mean, rs)    : y = f32(((x − mean) · rs) · g + b)
 *   add(a, b, out, n)                  : out = a + b (float32)
 */
import { F64, get, I32, memoryModule, onBackendMemory, set, simd, V128, vec } from './wasmModule';

export interface LayerNormSimd {
  sum: (p: number, n: number) => number;
  sqDev: (p: number, n: number, mean: number) => number;
  affine: (x: number, y: number, g: number, b: number, n: number, mean: number, rs: number) => void;
  add: (a: number, b: number, out: number, n: number) => void;
}

function simdModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const load = [...simd(0x00), 0x00, 0x00];
  const store = [...simd(0x0b), 0x00, 0x00];
  const shuffle = (lanes: number[]) => [...simd(0x0d), ...lanes];
  const SWAP = shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]); // (x2, x3, x0, x1)
  const JOIN = shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]); // low halves of two vectors
  const [F64_SPLAT, LANE, DEMOTE, PROMOTE] = [0x14, 0x21, 0x5e, 0x5f].map(simd);
  const [F32_ADD, F64_ADD, F64_SUB, F64_MUL] = [0xe4, 0xf0, 0xf1, 0xf2].map(simd);
  const ADD_I32 = 0x6a;
  // Loop over byte offset `i` from 0 to `end` (= n · 4) in steps of 16; `step` is the body.
  const loop = (n: number, i: number, end: number, step: number[]) => [
    ...[0x41, 0, ...set(i)],
    ...get(n),
    0x41,
    2,
    0x74,
    ...set(end), // end = n << 2
    0x02,
    0x40,
    0x03,
    0x40, // block, loop
    ...get(i),
    ...get(end),
    0x4f,
    0x0d,
    1, // if i >= end (unsigned): break
    ...step,
    ...get(i),
    0x41,
    16,
    ADD_I32,
    ...set(i), // i += 16
    0x0c,
    0,
    0x0b,
    0x0b, // br loop; end loop; end block
  ];
  const at = (ptr: number, i: number) => [...get(ptr), ...get(i), ADD_I32];
  const lanesSum = (acc: number) => [...get(acc), ...LANE, 0, ...get(acc), ...LANE, 1, 0xa0]; // f64.add
  // sum(p 0, n 1): locals 2 i, 3 end, 4–5 accumulators (lanes 0,1 | 2,3), 6 x.
  // prettier-ignore
  const sum = [
    ...vec([[2, I32], [3, V128]]),
    ...loop(1, 2, 3, [
      ...at(0, 2), ...load, ...set(6),
      ...get(4), ...get(6), ...PROMOTE, ...F64_ADD, ...set(4),
      ...get(5), ...get(6), ...get(6), ...SWAP, ...PROMOTE, ...F64_ADD, ...set(5),
    ]),
    ...get(4), ...get(5), ...F64_ADD, ...set(4), ...lanesSum(4),
    0x0b,
  ];
  // sqDev(p 0, n 1, mean 2): locals 3 i, 4 end, 5–6 accumulators, 7 x, 8 mean splat, 9 d.
  const sq = (acc: number, half: number[]) => [
    ...half,
    ...PROMOTE,
    ...get(8),
    ...F64_SUB,
    ...set(9),
    ...get(acc),
    ...get(9),
    ...get(9),
    ...F64_MUL,
    ...F64_ADD,
    ...set(acc),
  ];
  // prettier-ignore
  const sqDev = [
    ...vec([[2, I32], [5, V128]]),
    ...get(2), ...F64_SPLAT, ...set(8),
    ...loop(1, 3, 4, [
      ...at(0, 3), ...load, ...set(7),
      ...sq(5, get(7)),
      ...sq(6, [...get(7), ...get(7), ...SWAP]),
    ]),
    ...get(5), ...get(6), ...F64_ADD, ...set(5), ...lanesSum(5),
    0x0b,
  ];
  // affine(x 0, y 1, g 2, b 3, n 4, mean 5, rs 6): locals 7 i, 8 end, 9 mean splat, 10 rs splat, 11 x, 12 g, 13 b.
  const half = (swap: boolean) => {
    const h = (v: number) => (swap ? [...get(v), ...get(v), ...SWAP] : get(v));
    return [
      ...h(11),
      ...PROMOTE,
      ...get(9),
      ...F64_SUB,
      ...get(10),
      ...F64_MUL,
      ...h(12),
      ...PROMOTE,
      ...F64_MUL,
      ...h(13),
      ...PROMOTE,
      ...F64_ADD,
      ...DEMOTE,
    ];
  };
  // prettier-ignore
  const affine = [
    ...vec([[2, I32], [5, V128]]),
    ...get(5), ...F64_SPLAT, ...set(9),
    ...get(6), ...F64_SPLAT, ...set(10),
    ...loop(4, 7, 8, [
      ...at(0, 7), ...load, ...set(11),
      ...at(2, 7), ...load, ...set(12),
      ...at(3, 7), ...load, ...set(13),
      ...at(1, 7), ...half(false), ...half(true), ...JOIN, ...store,
    ]),
    0x0b,
  ];
  // add(a 0, b 1, out 2, n 3): locals 4 i, 5 end.
  // prettier-ignore
  const add = [
    ...vec([[2, I32]]),
    ...loop(3, 4, 5, [...at(2, 4), ...at(0, 4), ...load, ...at(1, 4), ...load, ...F32_ADD, ...store]),
    0x0b,
  ];
  return memoryModule(shared, [
    { name: 'sum', params: [I32, I32], results: [F64], body: sum },
    { name: 'sqDev', params: [I32, I32, F64], results: [F64], body: sqDev },
    { name: 'affine', params: [I32, I32, I32, I32, I32, F64, F64], results: [], body: affine },
    { name: 'add', params: [I32, I32, I32, I32], results: [], body: add },
  ]);
}

/** The SIMD loops bound to a wasm backend's memory, or null where they cannot be built (then JavaScript). */
export const layerNormSimdFor = onBackendMemory<LayerNormSimd>('layerNorm', simdModule);
