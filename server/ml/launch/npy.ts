/**
 * NumPy's .npy format (version 1.0), the writer only: numpy.load reads it with allow_pickle=False.
 *   "\x93NUMPY" 1 0 | header length (u16 LE) | Python dict literal, space-padded, "\n" | C-order little-endian data
 * The magic, version, length and header together are a multiple of 64 bytes, as numpy writes them.
 */

export type NpyData = Int32Array | Uint8Array;

const DESCR: Record<'int32' | 'uint8', string> = { int32: '<i4', uint8: '|u1' };

/** The .npy bytes of `data` with `shape` (row-major); throws when the shape does not hold exactly the data. */
export function npyBytes(data: NpyData, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new Error(`npy: shape [${shape.join(', ')}] holds ${size} values, the data has ${data.length}`);
  }
  const descr = DESCR[data instanceof Int32Array ? 'int32' : 'uint8'];
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  // Little-endian hosts only (x86, ARM): the typed array's bytes are the file's.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
