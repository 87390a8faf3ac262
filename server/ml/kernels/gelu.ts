/**
 * Fused exact (erf) GELU, forward and backward, for the wasm and cpu backends: one launch each instead of the
 * Multiply/Erf/Add/Exp chain (the stock wasm Erf and Exp are scalar). On wasm a 4-lane f32 SIMD loop in a
 * tiny WebAssembly module on tfjs's memory (like adamw.ts); on cpu and for SIMD tails the same operations as
 * a JavaScript loop rounding every step to float32, so both give the same bits. Native backends keep the
 * tf-op path in model/ops.ts.
 *   MlmGelu:     x (any shape)           → y = x Φ(x), cdf = Φ(x) (saved for the backward)
 *   MlmGeluGrad: dy, x, cdf (same shape) → dx = dy (cdf + x φ(x))
 * with Φ(x) = ½ (1 + erf(x / √2)) = ½ erfc(−x / √2) and φ(x) = exp(−x² / 2) / √(2π).
 *
 * Numerics: erfc(z), z = |x| / √2, as t · exp(−z² + P(t)), t = 1 / (1 + z / 2), P a degree-9 polynomial
 * (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7 for all z ≥ 0), so Φ(−|x|) = ½ erfc keeps its
 * relative accuracy in the tail instead of cancelling in 1 + erf. −z² is split exactly (Veltkamp) so the large
 * part enters exp's range reduction without rounding; exp is 2ⁿ · (Cephes' degree-5 minimax polynomial on
 * |r| ≤ ln2/2). y = max(x, 0) − |x| · ½ erfc(z). x is clamped to ±12.5 inside Φ and x φ (Φ(−12.5) ≈ 4e-36), so
 * no overflow, Inf or NaN for any finite x; NaN propagates. Groups of 4 with every |x| < 1.25 (most of them
 * in a young model) take a 3× cheaper path: Φ(x) = ½ + x · R(x²) and φ(x) = Q(x²), Taylor polynomials. The
 * forward saves Φ(x), so the backward computes only φ(x). Measured against float64 over [−10, 10]: GELU within 2.4e-7
 * absolute (float32 rounding of y) and 5.0e-7 relative, GELU' within 1.5e-7 absolute (kernels/gelu.test.ts).
 *
 * Over 300 lines: the JavaScript loops and the SIMD module must do the same float32 operations in the same
 * order, so they sit side by side for review.
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineFusedKernel, hasKernel, type KernelArgs as Args, type Store } from './fusedKernel';
import { memoryModule, onBackendMemory, type WasmFunction } from './wasmModule';
import { at, f32x4, get, I32, i32, i32x4, ifElse, set, V128, v128, vectorLoop, type Code } from './wasmOps';

export const GELU = 'MlmGelu';
export const GELU_GRAD = 'MlmGeluGrad';

const f = Math.fround;
/** x is clamped to ±CLAMP inside Φ and x φ (exp's argument stays ≥ −80, 2ⁿ normal). */
const CLAMP = 12.5;
/** t = 1 / (1 + |x| · T_SCALE) = 1 / (1 + z / 2). */
const T_SCALE = f(0.5 * Math.SQRT1_2);
/** P(t) = Σ P_COEF[k] tᵏ. */
const P_COEF = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
].map(f);
/** exp(r) = 1 + r + r² · Σ EXP_COEF[k] r^(5−k). */
const EXP_COEF = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
].map(f);
const LOG2E = f(Math.LOG2E);
/** Cody–Waite ln 2 = LN2_HI + LN2_LO, LN2_HI with 9 significant bits (n · LN2_HI is exact). */
const LN2_HI = f(0.693359375);
const LN2_LO = f(-2.1219444e-4);
/** x + 1.5·2²³ − 1.5·2²³ rounds to an integer, ties to even. */
const ROUND = 12582912;
/** Veltkamp split constant 2¹² + 1: hi keeps 12 significant bits, so hi² is exact. */
const SPLIT = 4097;
const RSQRT_2PI = f(1 / Math.sqrt(2 * Math.PI));
/**
 * Fast path: when all 4 lanes of a group have |x| < SMALL, Φ(x) = ½ + x · R(x²) with R the Taylor series of
 * (Φ(x) − ½) / x to u⁹ (truncation < 1e-8; Φ ≥ 0.1 there, so no cancellation in the tail).
 */
const SMALL = 1.25;
const R_COEF = Array.from({ length: 10 }, (_, n) => {
  let d = 2 * n + 1;
  for (let k = 1; k <= n; k++) d *= 2 * k;
  return f(((n % 2 ? -1 : 1) * RSQRT_2PI) / d);
});
/** And φ(x) = Σ PHI_COEF[n] x²ⁿ there (Taylor of exp(−x²/2) / √(2π) to x¹⁸, truncation < 1e-8). */
const PHI_COEF = Array.from({ length: 10 }, (_, n) => {
  let d = 1;
  for (let k = 1; k <= n; k++) d *= 2 * k;
  return f(((n % 2 ? -1 : 1) * RSQRT_2PI) / d);
});

/** exp(a + w) with a = −hi²/2 exact, in float32 steps (the SIMD code does the same operations). */
function exp32(a: number, w: number): number {
  const n = f(f(f(f(a + w) * LOG2E) + ROUND) - ROUND);
  const r = f(f(f(a - f(n * LN2_HI)) - f(n * LN2_LO)) + w);
  let p = EXP_COEF[0];
  for (let k = 1; k < EXP_COEF.length; k++) p = f(f(p * r) + EXP_COEF[k]);
  const y = f(f(f(p * f(r * r)) + r) + 1);
  return f(y * 2 ** n);
}

/** t and P(t) of erfc, for a = |x| clamped to CLAMP. */
function erfcParts(a: number): [number, number] {
  const t = f(1 / f(1 + f(a * T_SCALE)));
  let p = P_COEF[9];
  for (let k = 8; k >= 0; k--) p = f(f(p * t) + P_COEF[k]);
  return [t, p];
}

/** −a²/2 as aa + b with aa exact (Veltkamp split of a). */
function halfSquare(a: number): [number, number] {
  const s = f(a * SPLIT);
  const hi = f(s - f(s - a));
  const lo = f(a - hi);
  return [f(f(hi * hi) * -0.5), f(f(f(hi + a) * lo) * -0.5)];
}

/**
 * y = GELU(x) and cdf = Φ(x) for elements [from, n), in float32 steps, by groups of 4 from `from` (a multiple
 * of 4) as the SIMD loop: the fast path when the whole group has |x| < SMALL.
 */
export function geluForward(x: Float32Array, y: Float32Array, cdf: Float32Array, from = 0): void {
  for (let g = from; g < x.length; g += 4) {
    const end = Math.min(g + 4, x.length);
    let small = true;
    for (let i = g; i < end; i++) small &&= Math.abs(x[i]) < SMALL;
    for (let i = g; i < end; i++) {
      const xi = x[i];
      if (small) {
        const u = f(xi * xi);
        let r = R_COEF[9];
        for (let k = 8; k >= 0; k--) r = f(f(r * u) + R_COEF[k]);
        const c = f(0.5 + f(xi * r));
        cdf[i] = c;
        y[i] = f(xi * c);
        continue;
      }
      const a = Math.abs(Math.min(Math.max(xi, -CLAMP), CLAMP));
      const [t, p] = erfcParts(a);
      const [aa, b] = halfSquare(a);
      const h = f(f(t * exp32(aa, f(b + p))) * 0.5); // Φ(−|x|)
      y[i] = f(Math.max(xi, 0) - f(a * h));
      cdf[i] = xi >= 0 ? f(1 - h) : h;
    }
  }
}

/** dx = dy · (Φ(x) + x φ(x)) for elements [from, n), Φ(x) given, in float32 steps. */
export function geluBackward(
  dy: Float32Array,
  x: Float32Array,
  cdf: Float32Array,
  dx: Float32Array,
  from = 0,
): void {
  for (let g = from; g < x.length; g += 4) {
    const end = Math.min(g + 4, x.length);
    let small = true;
    for (let i = g; i < end; i++) small &&= Math.abs(x[i]) < SMALL;
    for (let i = g; i < end; i++) {
      let xPhi: number;
      if (small) {
        const u = f(x[i] * x[i]);
        let e = PHI_COEF[9];
        for (let k = 8; k >= 0; k--) e = f(f(e * u) + PHI_COEF[k]);
        xPhi = f(x[i] * e);
      } else {
        const xc = Math.min(Math.max(x[i], -CLAMP), CLAMP);
        const [aa, b] = halfSquare(Math.abs(xc));
        xPhi = f(f(xc * exp32(aa, b)) * RSQRT_2PI);
      }
      dx[i] = f(dy[i] * f(cdf[i] + xPhi));
    }
  }
}

interface Simd {
  /** (x, y, cdf as byte offsets, n a multiple of 4). */
  gelu: (x: number, y: number, cdf: number, n: number) => void;
  /** (dy, x, cdf, dx as byte offsets, n a multiple of 4). */
  geluGrad: (dy: number, x: number, cdf: number, dx: number, n: number) => void;
}

/** The two loops above as 4-lane f32 SIMD functions in a module that imports tfjs's memory. */
function simdModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const [load, store] = [v128.load(), v128.store()];
  // Constants live in v128 locals set before the loop (rematerialising a v128.const in the loop costs more
  // than reloading a spilled local): slot per distinct value, numbered from cbase in the function being built.
  let consts = new Map<string, number>();
  let cbase = 0;
  const constant = (bytes: Uint8Array): Code => {
    const key = bytes.join();
    if (!consts.has(key)) consts.set(key, consts.size);
    return get(cbase + (consts.get(key) ?? 0));
  };
  const splat = (v: number) => constant(new Uint8Array(new Float32Array([v, v, v, v]).buffer));
  const splatI = (v: number) => constant(new Uint8Array(new Int32Array([v, v, v, v]).buffer));
  /** An instruction applied to operands: the operands' code, then the instruction. */
  const op =
    (code: Code) =>
    (...args: Code[]): Code => [...args.flat(), ...code];
  const [ge, lt, abs, add, sub, mul, div, min, max] = [
    f32x4.ge,
    f32x4.lt,
    f32x4.abs,
    f32x4.add,
    f32x4.sub,
    f32x4.mul,
    f32x4.div,
    f32x4.min,
    f32x4.max,
  ].map(op);
  const [bitselect, shl, addI, truncI, allTrue] = [
    v128.bitselect,
    i32x4.shl,
    i32x4.add,
    i32x4.trunc_sat_f32x4_s,
    i32x4.all_true,
  ].map(op);
  // Locals: i32 0..P-1 params, then i, end; TEMPS v128 temporaries from V, then the constants.
  const TEMPS = 14;
  const fn = (
    name: string,
    params: number,
    perVector: (V: number, at: (p: number) => Code) => Code,
  ): WasmFunction => {
    const I = params;
    const END = params + 1;
    const V = params + 2;
    consts = new Map();
    cbase = V + TEMPS;
    const body = perVector(V, (p) => at(p, I));
    const init = [...consts].flatMap(([key, slot]) => [
      ...v128.const(key.split(',').map(Number)),
      ...set(cbase + slot),
    ]);
    return {
      name,
      params: Array<number>(params).fill(I32),
      results: [],
      locals: [
        [2, I32],
        [TEMPS + consts.size, V128],
      ],
      body: [...init, ...vectorLoop(params - 1, I, END, body)],
    };
  };
  // v128 locals relative to V: 0 x, 1 x clamped to ±CLAMP, 2 a = |x clamped|, 3 t, 4 y, 5 s/hi, 6 lo, 7 aa, 8 b,
  // 9 w (u on the fast path), 10 n, 11 r, 12 h, 13 cdf.
  const exp32 = (V: number, aa: number, w: number): Code => {
    const n = V + 10;
    const r = V + 11;
    let p = splat(EXP_COEF[0]);
    for (let k = 1; k < EXP_COEF.length; k++) p = add(mul(p, get(r)), splat(EXP_COEF[k]));
    // prettier-ignore
    return [
      ...sub(add(mul(add(get(aa), get(w)), splat(LOG2E)), splat(ROUND)), splat(ROUND)), ...set(n),
      ...add(sub(sub(get(aa), mul(get(n), splat(LN2_HI))), mul(get(n), splat(LN2_LO))), get(w)), ...set(r),
      ...mul(
        add(add(mul(p, mul(get(r), get(r))), get(r)), splat(1)),
        shl(addI(truncI(get(n)), splatI(127)), i32.const(23)), // 2ⁿ as bits
      ),
    ];
  };
  // X x, XC x clamped to ±CLAMP, A |XC|, then −a²/2 as AA + B.
  const load3 = (V: number, x: Code): Code => [
    ...x,
    ...set(V),
    ...min(max(get(V), splat(-CLAMP)), splat(CLAMP)),
    ...set(V + 1),
    ...abs(get(V + 1)),
    ...set(V + 2),
  ];
  const halfSquare = (V: number): Code => {
    const [A, HI, LO, AA, B] = [2, 5, 6, 7, 8].map((k) => V + k);
    // prettier-ignore
    return [
      ...mul(get(A), splat(SPLIT)), ...set(HI), // s
      ...sub(get(HI), sub(get(HI), get(A))), ...set(HI),
      ...sub(get(A), get(HI)), ...set(LO),
      ...mul(mul(get(HI), get(HI)), splat(-0.5)), ...set(AA),
      ...mul(mul(add(get(HI), get(A)), get(LO)), splat(-0.5)), ...set(B),
    ];
  };
  const forward = fn('gelu', 4, (V, at) => {
    const [X, A, T, Y, W, H, C] = [0, 2, 3, 4, 9, 12, 13].map((k) => V + k);
    let p = splat(P_COEF[9]);
    for (let k = 8; k >= 0; k--) p = add(mul(p, get(T)), splat(P_COEF[k]));
    let r = splat(R_COEF[9]);
    for (let k = 8; k >= 0; k--) r = add(mul(r, get(W)), splat(R_COEF[k]));
    // prettier-ignore
    return [
      ...at(0), ...load, ...set(X),
      ...allTrue(lt(abs(get(X)), splat(SMALL))), // every |x| < SMALL?
      ...ifElse([
        ...mul(get(X), get(X)), ...set(W), // u
        ...add(splat(0.5), mul(get(X), r)), ...set(C),
        ...mul(get(X), get(C)), ...set(Y),
      ], [
        ...load3(V, get(X)),
        ...div(splat(1), add(splat(1), mul(get(A), splat(T_SCALE)))), ...set(T),
        ...halfSquare(V),
        ...add(get(V + 8), p), ...set(W), // w = b + P(t)
        ...mul(mul(get(T), exp32(V, V + 7, W)), splat(0.5)), ...set(H), // h = Φ(−|x|)
        ...sub(max(get(X), splat(0)), mul(get(A), get(H))), ...set(Y),
        ...bitselect(sub(splat(1), get(H)), get(H), ge(get(X), splat(0))), ...set(C),
      ]),
      ...at(1), ...get(Y), ...store,
      ...at(2), ...get(C), ...store,
    ];
  });
  const backward = fn('geluGrad', 5, (V, at) => {
    const [X, G, U] = [0, 4, 9].map((k) => V + k);
    let e = splat(PHI_COEF[9]);
    for (let k = 8; k >= 0; k--) e = add(mul(e, get(U)), splat(PHI_COEF[k]));
    // prettier-ignore
    return [
      ...at(1), ...load, ...set(X),
      ...allTrue(lt(abs(get(X)), splat(SMALL))), // every |x| < SMALL?
      ...ifElse([
        ...mul(get(X), get(X)), ...set(U),
        ...mul(get(X), e), ...set(G), // x φ(x)
      ], [
        ...load3(V, get(X)),
        ...halfSquare(V),
        ...mul(mul(get(V + 1), exp32(V, V + 7, V + 8)), splat(RSQRT_2PI)), ...set(G),
      ]),
      ...at(3), ...mul([...at(0), ...load], add([...at(2), ...load], get(G))), ...store,
    ];
  });
  return memoryModule(shared, [forward, backward]);
}

/** Elements the SIMD loops have processed (tests check the SIMD path is taken). */
export const geluSimdStats = { elements: 0 };

/** The SIMD loops bound to a wasm backend's memory, or null where they cannot be built (then JavaScript). */
const simdFor = onBackendMemory<Simd>('gelu', simdModule);

function forwardKernel(s: Store, args: Args, simd: boolean): tf.TensorInfo[] {
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  const y = s.out([...x.shape]);
  const cdf = s.out([...x.shape]);
  const [vx, vy, vc] = [s.read(x), s.target(y), s.target(cdf)];
  const fast = simd ? simdFor(args.backend) : null;
  const bulk = fast ? vx.length & ~3 : 0;
  if (fast && bulk) {
    fast.gelu(vx.byteOffset, vy.byteOffset, vc.byteOffset, bulk);
    geluSimdStats.elements += bulk;
  }
  geluForward(vx, vy, vc, bulk);
  return [y, cdf];
}

function backwardKernel(s: Store, args: Args, simd: boolean): tf.TensorInfo {
  const { dy, x, cdf } = args.inputs as Record<string, tf.TensorInfo>;
  const dx = s.out([...x.shape]);
  const [vdy, vx, vc, vdx] = [s.read(dy), s.read(x), s.read(cdf), s.target(dx)];
  const fast = simd ? simdFor(args.backend) : null;
  const bulk = fast ? vx.length & ~3 : 0;
  if (fast && bulk) {
    fast.geluGrad(vdy.byteOffset, vx.byteOffset, vc.byteOffset, vdx.byteOffset, bulk);
    geluSimdStats.elements += bulk;
  }
  geluBackward(vdy, vx, vc, vdx, bulk);
  return dx;
}

export const geluKernels: tf.KernelConfig[] = [
  ...defineFusedKernel(GELU, forwardKernel),
  ...defineFusedKernel(GELU_GRAD, backwardKernel),
];

/** True when the active backend is wasm and the SIMD loops run on its memory (for tests and doctor). */
export function hasSimdGelu(): boolean {
  return tf.getBackend() === 'wasm' && simdFor(tf.backend()) !== null;
}

/** True when the active backend has the fused GELU kernels. */
export function hasFusedGelu(): boolean {
  return hasKernel(GELU);
}

/** Fused GELU with its gradient (the forward saves x and Φ(x); the backward adds x φ(x)): x → same shape. */
export function fusedGelu<T extends tf.Tensor>(x: T): T {
  const g = tf.customGrad(((xs: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, cdf] = tf.engine().runKernel(GELU, { x: xs }, {}) as tf.Tensor[];
    save([xs, cdf]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(GELU_GRAD, { dy, x: saved[0], cdf: saved[1] }, {}) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return g(x) as T;
}
