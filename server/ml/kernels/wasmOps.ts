/**
 * The WebAssembly instructions the hand-built SIMD kernels use, by their names in the WebAssembly text format
 * (`i32.add`, `f32x4.mul`, `v128.load`, …; see the spec's instruction index), so a reviewer reads names instead of
 * opcode bytes. Each is a `Code` (the bytes of an instruction sequence); sequences compose by spreading, and
 * the structured helpers (`block`, `loop`, `ifElse`, `whileNot`, `vectorLoop`) emit the matching `end`s.
 * Nothing here changes what is emitted: test/unit/server/ml/kernels/wasmBytes.test.ts hashes every module's bytes.
 *
 * Only the instructions in use are listed: to use another, add it here under its spec name and opcode.
 */

/** The bytes of an instruction sequence. */
export type Code = readonly number[];

/** Unsigned LEB128 (indices, lengths, memory offsets). */
export const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
};

/** Signed LEB128 (the immediate of i32.const). */
export const s32 = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
};

/** A vector: its length, then the items. */
export const vec = (items: Code[]): number[] => [...u32(items.length), ...items.flat()];

/** Value types. */
export const [I32, F32, F64, V128] = [0x7f, 0x7d, 0x7c, 0x7b];

/** The empty block type (a block, loop or if that leaves nothing on the stack). */
const VOID = 0x40;
const END = 0x0b;

/** local.get, local.set, local.tee. */
export const get = (i: number): Code => [0x20, ...u32(i)];
export const set = (i: number): Code => [0x21, ...u32(i)];
export const tee = (i: number): Code => [0x22, ...u32(i)];

/** block … end, loop … end; br and br_if to the label `depth` levels out (0: the innermost). */
export const block = (...body: Code[]): Code => [0x02, VOID, ...body.flat(), END];
export const loop = (...body: Code[]): Code => [0x03, VOID, ...body.flat(), END];
export const br = (depth: number): Code => [0x0c, ...u32(depth)];
export const brIf = (depth: number): Code => [0x0d, ...u32(depth)];
/** if … else … end on the i32 on the stack. */
export const ifElse = (then: Code, otherwise?: Code): Code => [
  0x04,
  VOID,
  ...then,
  ...(otherwise ? [0x05, ...otherwise] : []),
  END,
];

/** Scalar memory access: the natural alignment (2 = 4 bytes) and a constant byte offset. */
const memarg = (align: number, offset: number): number[] => [...u32(align), ...u32(offset)];

export const i32 = {
  const: (n: number): Code => [0x41, ...s32(n)],
  ge_s: [0x4e] as Code,
  ge_u: [0x4f] as Code,
  add: [0x6a] as Code,
  sub: [0x6b] as Code,
  mul: [0x6c] as Code,
  shl: [0x74] as Code,
};

export const f32 = {
  load: (offset = 0): Code => [0x2a, ...memarg(2, offset)],
  store: (offset = 0): Code => [0x38, ...memarg(2, offset)],
};

export const f64 = {
  add: [0xa0] as Code,
};

/** A SIMD (0xfd-prefixed) instruction. */
const simd = (op: number): Code => [0xfd, ...u32(op)];

/** v128 memory access: alignment hint 0 (any address), a constant byte offset. */
export const v128 = {
  load: (offset = 0): Code => [...simd(0x00), ...memarg(0, offset)],
  store: (offset = 0): Code => [...simd(0x0b), ...memarg(0, offset)],
  /** The 16 bytes of the constant. */
  const: (bytes: Code): Code => [...simd(0x0c), ...bytes],
  bitselect: simd(0x52),
};

export const i8x16 = {
  /** Lanes 0–15 pick bytes of the first operand, 16–31 of the second. */
  shuffle: (lanes: Code): Code => [...simd(0x0d), ...lanes],
};

export const i32x4 = {
  all_true: simd(0xa3),
  shl: simd(0xab),
  add: simd(0xae),
  trunc_sat_f32x4_s: simd(0xf8),
};

export const f32x4 = {
  splat: simd(0x13),
  lt: simd(0x43),
  ge: simd(0x46),
  demote_f64x2_zero: simd(0x5e),
  abs: simd(0xe0),
  sqrt: simd(0xe3),
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
  min: simd(0xe8),
  max: simd(0xe9),
};

export const f64x2 = {
  splat: simd(0x14),
  extract_lane: (k: number): Code => [...simd(0x21), k],
  promote_low_f32x4: simd(0x5f),
  add: simd(0xf0),
  sub: simd(0xf1),
  mul: simd(0xf2),
};

/** The vector's high 8 bytes in its low half and the low 8 in its high half: (x2, x3, x0, x1) as f32. */
export const swapHalves = i8x16.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);

/** block { loop { exit; br_if 1; body; br 0 } }: runs body until `exit` (an i32) is true. */
export const whileNot = (exit: Code, ...body: Code[]): Code => block(loop(exit, brIf(1), ...body, br(0)));

/**
 * For byte offset `i` from its current value while below n · 4, in steps of 16 (one f32x4): sets `end` to
 * n · 4 and runs body. n (a local) is a count of floats, a multiple of 4.
 */
export const vectorLoop = (n: number, i: number, end: number, ...body: Code[]): Code => [
  ...get(n),
  ...i32.const(2),
  ...i32.shl,
  ...set(end),
  ...whileNot([...get(i), ...get(end), ...i32.ge_u], ...body, get(i), i32.const(16), i32.add, set(i)),
];

/** The address local `ptr` + local `i` (a pointer argument plus a byte offset). */
export const at = (ptr: number, i: number): Code => [...get(ptr), ...get(i), ...i32.add];
