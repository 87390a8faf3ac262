/**
 * Batched small matrix products for attention on the wasm backend: C[m, n] (+)= A[m, k] · B[k, n] for `count`
 * matrices at fixed strides, in one call, instead of one XNNPACK operator (create, pack B, run, delete) per
 * matrix. A 4-lane f32 SIMD microkernel in a tiny WebAssembly module on tfjs's memory (like gelu.ts and
 * adamw.ts) covers the 4-row × 8-column tiles: 8 f32x4 accumulators, A elements broadcast with f32x4.splat,
 * B rows loaded with v128.load. A has any row and column strides (so a transposed A costs nothing); C has
 * contiguous rows, and so does B or else each B is first packed into [k, n] rows by a scalar wasm loop
 * (cheaper than a transposed copy of the whole batch: it stays in cache). Edge rows and columns (m, n not multiples of 4 and 8) run in JavaScript. Sums run over
 * k in order in float32 (XNNPACK's order differs only by rounding).
 */
import { syncHeap, type WasmBackend } from './wasmHeap';
import { memoryModule, onBackendMemory } from './wasmModule';
import {
  brIf,
  f32,
  f32x4,
  get,
  I32,
  i32,
  ifElse,
  loop,
  set,
  tee,
  V128,
  v128,
  whileNot,
  type Code,
} from './wasmOps';

/** One product set, all offsets and strides in float32 elements. */
export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  /** A(i, p) at a + i·aRow + p·aCol. */
  a: number;
  aRow: number;
  aCol: number;
  /** B(p, j) at b + p·bRow + j·bCol (bCol 1 by default; otherwise each B is first packed to rows). */
  b: number;
  bRow: number;
  bCol?: number;
  /** C(i, j) at c + i·cRow + j. */
  c: number;
  cRow: number;
  /** Matrices and the distance between consecutive ones (0 broadcasts that operand). */
  count: number;
  aStride: number;
  bStride: number;
  cStride: number;
  /** Add to C instead of overwriting it. */
  accumulate?: boolean;
}

type Tiles = (
  a: number,
  b: number,
  c: number,
  m4: number,
  n8: number,
  k: number,
  aRow: number,
  aCol: number,
  bRow: number,
  cRow: number,
  count: number,
  aStride: number,
  bStride: number,
  cStride: number,
  accumulate: number,
) => void;

/** dst[p·n + j] = src(p, j) at src + p·bRow + j·bCol, for p < k, j < n (all arguments bytes except n, k). */
type Pack = (src: number, dst: number, n: number, k: number, bRow: number, bCol: number) => void;

interface Module {
  tiles: Tiles;
  pack: Pack;
}

/** The tile loop as a WebAssembly module importing the memory (all arguments bytes, m4 and n8 rows/columns). */
function tileModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const { add, mul } = i32;
  /** x += the value `by` leaves on the stack. */
  const addTo = (x: number, by: Code): Code => [...get(x), ...by, ...add, ...set(x)];
  /** loop { body; br_if 0 while --p > 0 }: body runs p ≥ 1 times. */
  const countDown = (p: number, ...body: Code[]): Code =>
    loop(...body, get(p), i32.const(1), i32.sub, tee(p), brIf(0));
  /** Runs body for x from its current value while x < limit (signed). */
  const below = (x: number, limit: number, ...body: Code[]): Code =>
    whileNot([...get(x), ...get(limit), ...i32.ge_s], ...body);
  // Params 0..14 as in Tiles; then i32 locals and v128 locals.
  const [A, B, C, M4, N8, K, AR, AC, BR, CR, COUNT, SA, SB, SC, ACC] = Array.from(
    { length: 15 },
    (_, i) => i,
  );
  const [BI, I, J, P, AP, BP, CP, AR2, AR3, CR2, CR3] = Array.from({ length: 11 }, (_, i) => 15 + i);
  const ACCV = 26; // 8 accumulators: row r, half h at ACCV + 2r + h
  const [B0, B1, AV] = [34, 35, 36];
  const rowOff = (r: number, one: number, two: number, three: number): Code =>
    r === 0 ? [] : [...get([0, one, two, three][r]), ...add];
  const init: number[] = [];
  const fin: number[] = [];
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      init.push(...get(CP), ...rowOff(r, CR, CR2, CR3), ...v128.load(16 * h), ...set(ACCV + 2 * r + h));
      fin.push(...get(CP), ...rowOff(r, CR, CR2, CR3), ...get(ACCV + 2 * r + h), ...v128.store(16 * h));
    }
  }
  const zero: number[] = [];
  for (let v = 0; v < 8; v++) zero.push(...v128.const(Array<number>(16).fill(0)), ...set(ACCV + v));
  const step: number[] = [...get(BP), ...v128.load(0), ...set(B0), ...get(BP), ...v128.load(16), ...set(B1)];
  for (let r = 0; r < 4; r++) {
    step.push(...get(AP), ...rowOff(r, AR, AR2, AR3), ...f32.load(), ...f32x4.splat, ...set(AV));
    for (let h = 0; h < 2; h++) {
      const acc = ACCV + 2 * r + h;
      step.push(...get(acc), ...get(AV), ...get(h ? B1 : B0), ...f32x4.mul, ...f32x4.add, ...set(acc));
    }
  }
  const twice = (x: number): Code => [...get(x), ...i32.const(1), ...i32.shl];
  const times4 = (x: number): Code => [...get(x), ...i32.const(2), ...i32.shl];
  // prettier-ignore
  const body = [
    ...twice(AR), ...set(AR2),
    ...get(AR2), ...get(AR), ...add, ...set(AR3),
    ...twice(CR), ...set(CR2),
    ...get(CR2), ...get(CR), ...add, ...set(CR3),
    ...below(BI, COUNT, [ // batch loop
      ...i32.const(0), ...set(I),
      ...below(I, M4, [ // row-tile loop
        ...i32.const(0), ...set(J),
        ...below(J, N8, [ // column-tile loop
          ...get(C), ...get(I), ...get(CR), ...mul, ...add, ...times4(J), ...add, ...set(CP),
          ...get(ACC), ...ifElse(init, zero),
          ...get(A), ...get(I), ...get(AR), ...mul, ...add, ...set(AP),
          ...get(B), ...times4(J), ...add, ...set(BP),
          ...get(K), ...set(P),
          ...countDown(P, step, addTo(AP, get(AC)), addTo(BP, get(BR))), // k loop (k ≥ 1)
          ...fin,
          ...addTo(J, i32.const(8)),
        ]),
        ...addTo(I, i32.const(4)),
      ]),
      ...addTo(A, get(SA)),
      ...addTo(B, get(SB)),
      ...addTo(C, get(SC)),
      ...addTo(BI, i32.const(1)),
    ]),
  ];
  const [S, D, PN, PK, PR, PC, PJ, SP, DP, DSTEP, PP] = Array.from({ length: 11 }, (_, i) => i);
  // Row p of dst from column p of src: contiguous stores, strided loads.
  // prettier-ignore
  const packBody = [
    ...times4(PN), ...set(DSTEP),
    ...below(PJ, PK, [ // p loop
      ...get(S), ...get(PJ), ...get(PR), ...mul, ...add, ...set(SP),
      ...get(D), ...get(PJ), ...get(DSTEP), ...mul, ...add, ...set(DP),
      ...get(PN), ...set(PP),
      ...countDown(PP, // j loop (n ≥ 1)
        [...get(DP), ...get(SP), ...f32.load(), ...f32.store()],
        addTo(SP, get(PC)),
        addTo(DP, i32.const(4)),
      ),
      ...addTo(PJ, i32.const(1)),
    ]),
  ];
  return memoryModule(shared, [
    {
      name: 'tiles',
      params: Array<number>(15).fill(I32),
      results: [],
      locals: [
        [11, I32],
        [11, V128],
      ],
      body,
    },
    { name: 'pack', params: Array<number>(6).fill(I32), results: [], locals: [[5, I32]], body: packBody },
  ]);
}

/** The tile and pack loops bound to a wasm backend's memory, or null where they cannot be built. */
const tilesFor = onBackendMemory<Module>('smallGemm', tileModule);

/** True when the SIMD tile loop runs on this backend's memory. */
export function hasSmallGemm(backend: WasmBackend): boolean {
  return tilesFor(backend) !== null;
}

/** Elements of C computed by the SIMD tiles and in JavaScript (tests check both paths run). */
export const smallGemmStats = { simd: 0, js: 0 };

/** C(i, j) for i in [i0, i1), j in [j0, j1) of every matrix, in JavaScript, float32 steps in k order. */
function edge(h: Float32Array, g: GemmArgs, i0: number, i1: number, j0: number, j1: number): void {
  const f = Math.fround;
  for (let bi = 0; bi < g.count; bi++) {
    const a = g.a + bi * g.aStride;
    const b = g.b + bi * g.bStride;
    const c = g.c + bi * g.cStride;
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        let s = g.accumulate ? h[c + i * g.cRow + j] : 0;
        const bj = b + j * (g.bCol ?? 1);
        for (let p = 0; p < g.k; p++) s = f(s + f(h[a + i * g.aRow + p * g.aCol] * h[bj + p * g.bRow]));
        h[c + i * g.cRow + j] = s;
      }
    }
  }
  smallGemmStats.js += g.count * (i1 - i0) * (j1 - j0);
}

/**
 * The products on the heap of a wasm backend (allocating only the packing scratch for a strided B). With simd
 * false (or no SIMD module) everything runs in JavaScript (tests compare the paths).
 */
export function smallGemm(backend: WasmBackend, g: GemmArgs, simd = true): void {
  const { m, n, k } = g;
  if (m <= 0 || n <= 0 || g.count <= 0) return;
  const mod = simd && k > 0 ? tilesFor(backend) : null;
  const m4 = mod ? m & ~3 : 0;
  const n8 = mod ? n & ~7 : 0;
  const packed = mod && m4 && n8 && (g.bCol ?? 1) !== 1;
  // A strided B is packed, one matrix at a time, into [k, n] rows (scratch allocated before any heap view).
  const scratch = packed ? backend.makeOutput([k * n], 'float32') : null;
  try {
    syncHeap(backend);
    const heap = new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer);
    if (k <= 0) {
      if (!g.accumulate) {
        for (let bi = 0; bi < g.count; bi++) {
          for (let i = 0; i < m; i++) {
            const at = g.c + bi * g.cStride + i * g.cRow;
            heap.fill(0, at, at + n);
          }
        }
      }
      return;
    }
    if (!mod || !m4 || !n8) {
      edge(heap, g, 0, m, 0, n);
      return;
    }
    const run = (b: number, bRow: number, bStride: number, a: number, c: number, count: number): void =>
      mod.tiles(
        a * 4,
        b * 4,
        c * 4,
        m4,
        n8,
        k,
        g.aRow * 4,
        g.aCol * 4,
        bRow * 4,
        g.cRow * 4,
        count,
        g.aStride * 4,
        bStride * 4,
        g.cStride * 4,
        g.accumulate ? 1 : 0,
      );
    if (scratch) {
      const at = (backend.dataIdMap.get(scratch.dataId) as unknown as { memoryOffset: number }).memoryOffset;
      for (let bi = 0; bi < g.count; bi++) {
        mod.pack((g.b + bi * g.bStride) * 4, at, n8, k, g.bRow * 4, (g.bCol ?? 1) * 4);
        run(at / 4, n8, 0, g.a + bi * g.aStride, g.c + bi * g.cStride, 1);
      }
    } else {
      run(g.b, g.bRow, g.bStride, g.a, g.c, g.count);
    }
    smallGemmStats.simd += g.count * m4 * n8;
    if (n8 < n) edge(heap, g, 0, m4, n8, n);
    if (m4 < m) edge(heap, g, m4, m, 0, n);
  } finally {
    if (scratch) backend.disposeData(scratch.dataId);
  }
}
