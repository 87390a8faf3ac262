/** The safetensors reader refuses every kind of broken file with the reference implementation's check. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  tensorAsFloat32,
  type SafetensorsErrorCode,
} from '../../../../../server/ml/hf/safetensors';
import type { NamedTensor } from '../../../../../server/ml/types';

/** A file from a header object (serialised as is) and raw data bytes. */
function file(header: unknown, data: Uint8Array | number[] = [], headerText?: string): Uint8Array {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer);

function withLength(n: bigint, rest: Uint8Array = new Uint8Array()): Uint8Array {
  const out = new Uint8Array(8 + rest.length);
  new DataView(out.buffer).setBigUint64(0, n, true);
  out.set(rest, 8);
  return out;
}

const good = {
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
};
const goodData = f32([1, 2, 3]);

const corrupt: Array<{ name: string; bytes: Uint8Array; code: SafetensorsErrorCode; mentions: string }> = [
  {
    name: 'shorter than 8 bytes',
    bytes: new Uint8Array([1, 2, 3]),
    code: 'HeaderTooSmall',
    mentions: 'too short',
  },
  {
    name: 'header length over 100 MB',
    bytes: withLength(200_000_000n),
    code: 'HeaderTooLarge',
    mentions: 'limit',
  },
  {
    name: 'header length 2^64-1',
    bytes: withLength(0xffffffffffffffffn),
    code: 'HeaderTooLarge',
    mentions: 'limit',
  },
  {
    name: 'header length past the end',
    bytes: withLength(100n, Buffer.from('{}')),
    code: 'InvalidHeaderLength',
    mentions: 'past the end',
  },
  {
    name: 'header not UTF-8',
    bytes: withLength(2n, new Uint8Array([0xff, 0xfe])),
    code: 'InvalidHeader',
    mentions: 'UTF-8',
  },
  {
    name: 'header not starting with {',
    bytes: file(null, [], '[1,2]'),
    code: 'InvalidHeaderStart',
    mentions: '"{"',
  },
  {
    name: 'header not JSON',
    bytes: file(null, [], '{"a": '),
    code: 'InvalidHeaderDeserialization',
    mentions: 'JSON',
  },
  {
    name: 'unknown dtype',
    bytes: file({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
    code: 'InvalidTensorEntry',
    mentions: 'F128',
  },
  {
    name: 'negative dimension',
    bytes: file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32([1])),
    code: 'InvalidTensorEntry',
    mentions: 'shape',
  },
  {
    name: 'offsets not a pair',
    bytes: file({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32([1])),
    code: 'InvalidTensorEntry',
    mentions: 'data_offsets',
  },
  {
    name: '__metadata__ with a non-string value',
    bytes: file({ __metadata__: { format: 1 } }),
    code: 'InvalidMetadata',
    mentions: '__metadata__',
  },
  {
    name: 'first tensor not at offset 0',
    bytes: file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32([1, 2])),
    code: 'InvalidOffset',
    mentions: 'gap',
  },
  {
    name: 'overlapping tensors',
    bytes: file(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      f32([1, 2, 3]),
    ),
    code: 'InvalidOffset',
    mentions: 'overlaps',
  },
  {
    name: 'a gap between tensors',
    bytes: file(
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      f32([1, 2, 3]),
    ),
    code: 'InvalidOffset',
    mentions: 'gap',
  },
  {
    name: 'end before begin',
    bytes: file(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [0], data_offsets: [8, 4] },
      },
      f32([1, 2]),
    ),
    code: 'InvalidOffset',
    mentions: 'ends (4) before it begins (8)',
  },
  {
    name: 'shape does not match the byte size',
    bytes: file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32([1, 2])),
    code: 'TensorInvalidInfo',
    mentions: 'needs 12 bytes',
  },
  {
    name: 'F16 byte size counted as F32',
    bytes: file({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)),
    code: 'TensorInvalidInfo',
    mentions: 'needs 4 bytes',
  },
  {
    name: 'shape overflowing',
    bytes: file({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f32([1])),
    code: 'ValidationOverflow',
    mentions: 'overflows',
  },
  {
    name: 'trailing bytes',
    bytes: file(good, [...goodData, 0, 0, 0, 0]),
    code: 'MetadataIncompleteBuffer',
    mentions: 'trailing',
  },
  {
    name: 'truncated data',
    bytes: file(good, goodData.subarray(0, 8)),
    code: 'MetadataIncompleteBuffer',
    mentions: 'truncated',
  },
];

void describe('safetensors reader: corrupted files', () => {
  for (const c of corrupt) {
    void test(c.name, () => {
      assert.throws(
        () => parseSafetensors(c.bytes, 'bad.safetensors'),
        (err: unknown) => {
          assert.ok(err instanceof SafetensorsError, String(err));
          assert.equal(err.code, c.code, err.message);
          assert.match(err.message, /^bad\.safetensors: /);
          assert.ok(err.message.includes(c.mentions), err.message);
          return true;
        },
      );
    });
  }

  void test('a non-float tensor cannot be decoded as weights, naming it', () => {
    const st = parseSafetensors(
      file({ ids: { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] } }, new Uint8Array(16)),
    );
    assert.throws(() => tensorAsFloat32(st, 'ids'), /"ids" has dtype I64/);
    assert.throws(() => tensorAsFloat32(st, 'nope'), /no tensor named "nope"/);
  });
});

void describe('safetensors reader: valid files', () => {
  void test('tensors listed out of offset order, empty tensors, metadata, padded header', () => {
    const header = {
      __metadata__: { format: 'pt' },
      z: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      e: { dtype: 'F32', shape: [0, 3], data_offsets: [8, 8] },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    };
    const st = parseSafetensors(file(null, goodData, `${JSON.stringify(header)}    `));
    assert.deepEqual(st.metadata, { format: 'pt' });
    assert.deepEqual([...st.entries.keys()], ['a', 'e', 'z']);
    assert.deepEqual([...tensorAsFloat32(st, 'a').data], [1, 2]);
    assert.deepEqual(tensorAsFloat32(st, 'e'), { shape: [0, 3], data: new Float32Array(0) });
    assert.deepEqual([...tensorAsFloat32(st, 'z').data], [3]);
  });

  void test('F16, BF16 and F64 convert to float32', () => {
    // F16: 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001]).buffer);
    // BF16: 1.0 = 0x3f80, -2.5 = 0xc020, 3.140625 = 0x4049
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc020, 0x4049]).buffer);
    const f64 = new Uint8Array(Float64Array.from([0.1, -1e10]).buffer);
    const data = new Uint8Array([...f16, ...bf16, ...f64]);
    const st = parseSafetensors(
      file(
        {
          h: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] },
          b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
          d: { dtype: 'F64', shape: [2], data_offsets: [14, 30] },
        },
        data,
      ),
    );
    assert.deepEqual(tensorAsFloat32(st, 'h'), {
      shape: [2, 2],
      data: Float32Array.from([1, -2.5, 65504, 2 ** -24]),
    });
    assert.deepEqual([...tensorAsFloat32(st, 'b').data], [1, -2.5, 3.140625]);
    assert.deepEqual([...tensorAsFloat32(st, 'd').data], [Math.fround(0.1), -1e10]);
  });

  void test('write → read round trip keeps names, shapes, values and metadata; the header is 8-byte aligned', () => {
    const tensors = new Map<string, NamedTensor>([
      ['b.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a.bias', { shape: [3], data: Float32Array.from([-1, 0.5, NaN]) }],
      ['scalar', { shape: [], data: Float32Array.from([7]) }],
    ]);
    const bytes = serializeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    // Read from an odd byte offset: float data must not need alignment.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const st = parseSafetensors(shifted.subarray(1));
    assert.deepEqual(st.metadata, { format: 'pt' });
    assert.deepEqual([...st.entries.keys()], ['a.bias', 'b.weight', 'scalar']);
    for (const [name, t] of tensors) assert.deepEqual(tensorAsFloat32(st, name), t);
  });

  void test('the writer refuses data that does not fill the shape', () => {
    const bad = new Map<string, NamedTensor>([['w', { shape: [2, 2], data: new Float32Array(3) }]]);
    assert.throws(() => serializeSafetensors(bad), /"w" has shape \[2, 2\] \(4 values\) but 3 values/);
  });
});
