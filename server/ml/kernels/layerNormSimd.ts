/**
 * LayerNorm's row loops as 2-lane f64 / 4-lane f32 SIMD functions in a tiny WebAssembly module that imports
 * tfjs's own memory (byte offsets as pointers; n a multiple of 4), like adamw.ts. The same float64 operations
 * in the same order as layerNormForward's JavaScript, so the same bits, ~3× faster.
 *   sum(p, n)                          → Σ x as (s0 + s2) + (s1 + s3) over the four lanes' partial sums
 *   sqDev(p, n, mean)                  → Σ (x − mean)², grouped the same way
 *   affine(x, y, g, b, n, mean, rs)    : y = f32(((x − mean) · rs) · g + b)
 *   add(a, b, out, n)                  : out = a + b (float32)
 */
import { memoryModule, onBackendMemory } from './wasmModule';
import {
  at,
  f32x4,
  f64,
  F64,
  f64x2,
  get,
  I32,
  i32,
  i8x16,
  set,
  swapHalves,
  V128,
  v128,
  vectorLoop,
  type Code,
} from './wasmOps';

export interface LayerNormSimd {
  sum: (p: number, n: number) => number;
  sqDev: (p: number, n: number, mean: number) => number;
  affine: (x: number, y: number, g: number, b: number, n: number, mean: number, rs: number) => void;
  add: (a: number, b: number, out: number, n: number) => void;
}

function simdModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const [load, store] = [v128.load(), v128.store()];
  const JOIN = i8x16.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]); // low halves of two vectors
  const PROMOTE = f64x2.promote_low_f32x4;
  /** Loop over byte offset `i` from 0 to n · 4 in steps of 16; `step` is the body. */
  const loop = (n: number, i: number, end: number, step: Code): Code => [
    ...i32.const(0),
    ...set(i),
    ...vectorLoop(n, i, end, step),
  ];
  const lanesSum = (acc: number): Code => [
    ...get(acc),
    ...f64x2.extract_lane(0),
    ...get(acc),
    ...f64x2.extract_lane(1),
    ...f64.add,
  ];
  // sum(p 0, n 1): locals 2 i, 3 end, 4–5 accumulators (lanes 0,1 | 2,3), 6 x.
  // prettier-ignore
  const sum = [
    ...loop(1, 2, 3, [
      ...at(0, 2), ...load, ...set(6),
      ...get(4), ...get(6), ...PROMOTE, ...f64x2.add, ...set(4),
      ...get(5), ...get(6), ...get(6), ...swapHalves, ...PROMOTE, ...f64x2.add, ...set(5),
    ]),
    ...get(4), ...get(5), ...f64x2.add, ...set(4), ...lanesSum(4),
  ];
  // sqDev(p 0, n 1, mean 2): locals 3 i, 4 end, 5–6 accumulators, 7 x, 8 mean splat, 9 d.
  // prettier-ignore
  const sq = (acc: number, half: Code): Code => [
    ...half, ...PROMOTE, ...get(8), ...f64x2.sub, ...set(9),
    ...get(acc), ...get(9), ...get(9), ...f64x2.mul, ...f64x2.add, ...set(acc),
  ];
  // prettier-ignore
  const sqDev = [
    ...get(2), ...f64x2.splat, ...set(8),
    ...loop(1, 3, 4, [
      ...at(0, 3), ...load, ...set(7),
      ...sq(5, get(7)),
      ...sq(6, [...get(7), ...get(7), ...swapHalves]),
    ]),
    ...get(5), ...get(6), ...f64x2.add, ...set(5), ...lanesSum(5),
  ];
  // affine(x 0, y 1, g 2, b 3, n 4, mean 5, rs 6): locals 7 i, 8 end, 9 mean splat, 10 rs splat, 11 x, 12 g, 13 b.
  const half = (swap: boolean): Code => {
    const h = (v: number) => (swap ? [...get(v), ...get(v), ...swapHalves] : get(v));
    // prettier-ignore
    return [
      ...h(11), ...PROMOTE, ...get(9), ...f64x2.sub, ...get(10), ...f64x2.mul,
      ...h(12), ...PROMOTE, ...f64x2.mul,
      ...h(13), ...PROMOTE, ...f64x2.add,
      ...f32x4.demote_f64x2_zero,
    ];
  };
  // prettier-ignore
  const affine = [
    ...get(5), ...f64x2.splat, ...set(9),
    ...get(6), ...f64x2.splat, ...set(10),
    ...loop(4, 7, 8, [
      ...at(0, 7), ...load, ...set(11),
      ...at(2, 7), ...load, ...set(12),
      ...at(3, 7), ...load, ...set(13),
      ...at(1, 7), ...half(false), ...half(true), ...JOIN, ...store,
    ]),
  ];
  // add(a 0, b 1, out 2, n 3): locals 4 i, 5 end.
  const add = loop(3, 4, 5, [
    ...at(2, 4),
    ...at(0, 4),
    ...load,
    ...at(1, 4),
    ...load,
    ...f32x4.add,
    ...store,
  ]);
  const fn = (name: string, params: number[], results: number[], vectors: number, body: Code) => ({
    name,
    params,
    results,
    locals: (vectors
      ? [
          [2, I32],
          [vectors, V128],
        ]
      : [[2, I32]]) as [number, number][],
    body,
  });
  return memoryModule(shared, [
    fn('sum', [I32, I32], [F64], 3, sum),
    fn('sqDev', [I32, I32, F64], [F64], 5, sqDev),
    fn('affine', [I32, I32, I32, I32, I32, F64, F64], [], 5, affine),
    fn('add', [I32, I32, I32, I32], [], 0, add),
  ]);
}

/** The SIMD loops bound to a wasm backend's memory, or null where they cannot be built (then JavaScript). */
export const layerNormSimdFor = onBackendMemory<LayerNormSimd>('layerNorm', simdModule);
