/**
 * The seeded generators of the ML core, computed in JavaScript so data order, masks, weights and dropout masks are
 * identical on every backend for the same seed: mulberry32 (SeededRng, whose whole state is one uint32 so it can be
 * saved in a checkpoint and restored exactly), the two seed mixers, string hashing, shuffles and normal samples.
 * Not for cryptography.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

export class SeededRng implements Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** mulberry32: advance the state, then scramble it into a float. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  get state(): number {
    return this.s;
  }

  set state(s: number) {
    this.s = s >>> 0;
  }
}

/** mulberry32 as a function: uniform floats in [0, 1), the same sequence as `new SeededRng(seed)`. */
export function mulberry32(seed: number): () => number {
  const rng = new SeededRng(seed);
  return () => rng.next();
}

/*
 * Two seed mixers with different algorithms, each pinned by the numbers it has produced: mixSeed seeds the data
 * (order, masking, splits, fine-tune shuffles), mixSeedPair the model (initial weights, dropout masks). Changing
 * either one changes seeded results that tests fix (seeded curves, parity, per-minute curves, data streams), so they
 * stay two; a new use should take mixSeed.
 */

/** Mixes several integers into one 32-bit seed (e.g. run seed, epoch, batch index): FNV-1a over their bytes, fmix32. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let x = (p >>> 0) ^ Math.floor(p / 4294967296);
    for (let i = 0; i < 4; i++) {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193);
      x >>>= 8;
    }
  }
  // final avalanche (murmur3 fmix32)
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Mixes two integers into one 32-bit seed, the model's: a parameter's initial weights (seed, hashString(name)) and
 * each dropout mask (stream seed, call index). Works modulo 2³² in `b`.
 */
export function mixSeedPair(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  return h >>> 0;
}

/** 32-bit FNV-1a hash of a string (stable across runs and machines). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fisher–Yates shuffle of 0..n-1 with the given rng. */
export function permutation(n: number, rng: SeededRng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** n samples of normal(0, std) (Box–Muller over mulberry32(seed)). */
export function normalArray(n: number, std: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rand(); // (0, 1]
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
