/**
 * Axis permutation of a row-major array, in JavaScript. Replaces the wasm backend's scalar Transpose (4–8 ns per
 * element) with cache-blocked tiles for swapped axes and contiguous row copies when the last axis stays last.
 */

type Numeric = Float32Array | Int32Array | Uint8Array;

/** Drops size-1 axes and merges axes that stay adjacent and in order under perm. */
export function simplifyPermutation(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const keep = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const rank = new Map(keep.map((axis, i) => [axis, i]));
  let s = keep.map((i) => shape[i]);
  let p = perm.filter((a) => shape[a] !== 1).map((a) => rank.get(a)!);
  // Merge input axes a, a+1 that appear consecutively in p.
  for (let j = 0; j + 1 < p.length;) {
    if (p[j + 1] === p[j] + 1) {
      const a = p[j];
      s = [...s.slice(0, a), s[a] * s[a + 1], ...s.slice(a + 2)];
      p = p.filter((_, k) => k !== j + 1).map((x) => (x > a ? x - 1 : x));
    } else j++;
  }
  return { shape: s, perm: p };
}

/** out = x permuted by perm (out.shape[i] = shape[perm[i]]). x and out must not overlap. */
export function permute(x: Numeric, shape: readonly number[], perm: readonly number[], out: Numeric): void {
  const { shape: s, perm: p } = simplifyPermutation(shape, perm);
  const r = s.length;
  if (r <= 1 || p.every((a, i) => a === i)) {
    out.set(x.subarray(0, out.length));
    return;
  }
  const inStrides = new Array<number>(r);
  inStrides[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * s[i + 1];
  const outShape = p.map((a) => s[a]);
  const stride = p.map((a) => inStrides[a]); // input stride of each output axis
  if (p[r - 1] === r - 1) {
    // The last axis stays last: copy contiguous rows of length `row`.
    const row = s[r - 1];
    forEachIndex(outShape.slice(0, -1), stride.slice(0, -1), (src, dst) => {
      out.set(x.subarray(src, src + row), dst * row);
    });
    return;
  }
  // Tile over the two output axes that are innermost in the input (the last output axis and the one that
  // reads input axis r-1), so both reads and writes stay within a few cache lines.
  const jIn = p.indexOf(r - 1); // output axis holding the input's contiguous axis
  const jOut = r - 1; // output's contiguous axis
  const outStrides = new Array<number>(r);
  outStrides[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1] * outShape[i + 1];
  const outer = outShape.map((d, i) => (i === jIn || i === jOut ? 1 : d));
  const nA = outShape[jIn];
  const nB = outShape[jOut];
  const sA = outStrides[jIn]; // output stride along A (input stride 1)
  const sB = stride[jOut]; // input stride along B (output stride 1)
  const T = 32;
  forEachIndexWithOut(outer, stride, outStrides, (src0, dst0) => {
    for (let a0 = 0; a0 < nA; a0 += T) {
      const a1 = Math.min(nA, a0 + T);
      for (let b0 = 0; b0 < nB; b0 += T) {
        const b1 = Math.min(nB, b0 + T);
        for (let a = a0; a < a1; a++) {
          const dRow = dst0 + a * sA;
          let src = src0 + a + b0 * sB;
          for (let b = b0; b < b1; b++, src += sB) out[dRow + b] = x[src];
        }
      }
    }
  });
}

/** Visits every index of `shape` in row-major order with its input offset (Σ idx·stride) and its ordinal. */
function forEachIndex(shape: number[], stride: number[], f: (src: number, ordinal: number) => void): void {
  const r = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let n = 0; n < total; n++) {
    f(src, n);
    for (let k = r - 1; k >= 0; k--) {
      idx[k]++;
      src += stride[k];
      if (idx[k] < shape[k]) break;
      src -= stride[k] * shape[k];
      idx[k] = 0;
    }
  }
}

/** Like forEachIndex, with the output offset as well (Σ idx·outStride). */
function forEachIndexWithOut(
  shape: number[],
  stride: number[],
  outStride: number[],
  f: (src: number, dst: number) => void,
): void {
  const r = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  let dst = 0;
  for (let n = 0; n < total; n++) {
    f(src, dst);
    for (let k = r - 1; k >= 0; k--) {
      idx[k]++;
      src += stride[k];
      dst += outStride[k];
      if (idx[k] < shape[k]) break;
      src -= stride[k] * shape[k];
      dst -= outStride[k] * shape[k];
      idx[k] = 0;
    }
  }
}
