/**
 * A validating reader and a writer for the safetensors format (Hugging Face):
 *   [8 bytes: header length N, little-endian u64] [N bytes: JSON header, UTF-8] [raw tensor data]
 * The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data
 * section) plus an optional "__metadata__" object of string → string.
 *
 * The checks mirror the reference implementation's SafeTensorError cases (HeaderTooSmall, HeaderTooLarge,
 * InvalidHeaderLength, InvalidHeader, InvalidHeaderStart, InvalidHeaderDeserialization, InvalidOffset,
 * TensorInvalidInfo, MetadataIncompleteBuffer, ValidationOverflow): offsets must start at 0, be contiguous
 * and non-overlapping, each tensor's byte size must equal product(shape) × dtype size, and the last offset
 * must be the end of the file.
 *
 * Over 300 lines: the reader and the writer of one format, whose checks mirror each other.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { writeFileAtomicAsync } from '../atomicWrite';
import type { NamedTensor } from '../types';

/** The reference implementation refuses headers above 100 MB (a corrupted length would otherwise allocate GBs). */
export const MAX_HEADER_BYTES = 100_000_000;

export type SafetensorsDtype =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The float dtypes this reader converts to float32. */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

export type SafetensorsErrorCode =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeader'
  | 'InvalidHeaderStart'
  | 'InvalidHeaderDeserialization'
  | 'InvalidTensorEntry'
  | 'InvalidMetadata'
  | 'InvalidOffset'
  | 'TensorInvalidInfo'
  | 'MetadataIncompleteBuffer'
  | 'ValidationOverflow'
  | 'TensorNotFound'
  | 'UnsupportedDtype';

/** A malformed or unusable safetensors file. `code` names the check that failed (as in SafeTensorError). */
export class SafetensorsError extends Error {
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
    readonly tensor?: string,
  ) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) byte offsets into the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  /** Where the bytes came from, used in error messages. */
  source: string;
  /** The "__metadata__" object, if present. */
  metadata: Record<string, string> | undefined;
  /** Entries in file order (by offset). */
  entries: Map<string, SafetensorsEntry>;
  /** The data section (after the header). */
  data: Uint8Array;
}

const CORRUPT_HINT =
  'the file is truncated, corrupted or not a safetensors file: re-download or re-export it';

function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, v);
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseEntry(source: string, name: string, raw: unknown): SafetensorsEntry {
  const bad = (what: string): SafetensorsError =>
    new SafetensorsError(
      'InvalidTensorEntry',
      `${source}: tensor "${name}" has ${what}; ${CORRUPT_HINT}`,
      name,
    );
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw bad('a header entry that is not an object');
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) {
    throw bad(`an unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
    throw bad(`an invalid shape ${JSON.stringify(shape)} (expected an array of non-negative integers)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
    throw bad(`invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] in bytes)`);
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

function parseMetadata(source: string, raw: unknown): Record<string, string> {
  const ok =
    typeof raw === 'object' &&
    raw !== null &&
    !Array.isArray(raw) &&
    Object.values(raw as object).every((v) => typeof v === 'string');
  if (!ok) {
    throw new SafetensorsError(
      'InvalidMetadata',
      `${source}: "__metadata__" must be an object of string values, got ${JSON.stringify(raw).slice(0, 200)}; ${CORRUPT_HINT}`,
    );
  }
  return raw as Record<string, string>;
}

/** Parses and validates a whole safetensors file held in memory. Throws SafetensorsError. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      'HeaderTooSmall',
      `${source}: ${bytes.length} bytes is too short for the 8-byte header length; ${CORRUPT_HINT}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      'HeaderTooLarge',
      `${source}: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; ${CORRUPT_HINT}`,
    );
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) {
    throw new SafetensorsError(
      'InvalidHeaderLength',
      `${source}: header length ${n} runs past the end of the file (${bytes.length} bytes); ${CORRUPT_HINT}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError(
      'InvalidHeader',
      `${source}: the JSON header is not valid UTF-8; ${CORRUPT_HINT}`,
    );
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(
      'InvalidHeaderStart',
      `${source}: the header does not start with "{" (got ${JSON.stringify(text.slice(0, 16))}); ${CORRUPT_HINT}`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(
      'InvalidHeaderDeserialization',
      `${source}: the header is not valid JSON (${(err as Error).message}); ${CORRUPT_HINT}`,
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(
      'InvalidHeaderDeserialization',
      `${source}: the header is not a JSON object; ${CORRUPT_HINT}`,
    );
  }

  let metadata: Record<string, string> | undefined;
  const list: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(source, raw);
    else list.push(parseEntry(source, name, raw));
  }
  // Files written by older tools may list tensors in any order: validate in offset order.
  list.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLength = bytes.length - 8 - n;
  let cursor = 0;
  for (const e of list) {
    if (e.begin !== cursor || e.end < e.begin) {
      const why =
        e.end < e.begin
          ? `ends (${e.end}) before it begins (${e.begin})`
          : e.begin < cursor
            ? `overlaps the previous tensor (begins at ${e.begin}, previous ends at ${cursor})`
            : `leaves a gap (begins at ${e.begin}, previous ends at ${cursor})`;
      throw new SafetensorsError(
        'InvalidOffset',
        `${source}: tensor "${e.name}" ${why}; ${CORRUPT_HINT}`,
        e.name,
      );
    }
    cursor = e.end;
    const elements = e.shape.reduce((p, d) => p * d, 1);
    const nbytes = elements * DTYPE_BYTES[e.dtype];
    if (!Number.isSafeInteger(nbytes)) {
      throw new SafetensorsError(
        'ValidationOverflow',
        `${source}: tensor "${e.name}" shape [${e.shape.join(', ')}] overflows the addressable size; ${CORRUPT_HINT}`,
        e.name,
      );
    }
    if (e.end - e.begin !== nbytes) {
      throw new SafetensorsError(
        'TensorInvalidInfo',
        `${source}: tensor "${e.name}" (${e.dtype} [${e.shape.join(', ')}]) needs ${nbytes} bytes but its offsets ` +
          `[${e.begin}, ${e.end}] span ${e.end - e.begin}; ${CORRUPT_HINT}`,
        e.name,
      );
    }
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(
      'MetadataIncompleteBuffer',
      `${source}: the tensors cover ${cursor} bytes of data but the file holds ${dataLength} after the header ` +
        `(${cursor < dataLength ? 'trailing bytes' : 'truncated'}); ${CORRUPT_HINT}`,
    );
  }
  return {
    source,
    metadata,
    entries: new Map(list.map((e) => [e.name, e])),
    data: bytes.subarray(8 + n),
  };
}

/** Reads and validates a .safetensors file. */
export async function readSafetensorsFile(file: string): Promise<SafetensorsFile> {
  const bytes = await fs.readFile(file);
  return parseSafetensors(bytes, file);
}

/** IEEE 754 half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (and ±0)
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let halfValues: Float32Array | undefined;
/** All 65,536 half values as float32 (256 KB, built on first use): decoding is then one lookup per element. */
function halfTable(): Float32Array {
  if (!halfValues) {
    halfValues = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfValues[h] = halfToFloat(h);
  }
  return halfValues;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Decodes one float tensor (F32, F16, BF16 or F64) to float32. */
export function tensorAsFloat32(file: SafetensorsFile, name: string): NamedTensor {
  const e = file.entries.get(name);
  if (!e) {
    throw new SafetensorsError('TensorNotFound', `${file.source}: no tensor named "${name}"`, name);
  }
  const bytes = file.data.subarray(e.begin, e.end);
  const count = e.shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (e.dtype) {
    case 'F32':
      // Copy the bytes (the data section need not be 4-byte aligned; a Node Buffer's slice() is a view).
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
      else for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16': {
      const table = halfTable();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)];
      break;
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    default:
      throw new SafetensorsError(
        'UnsupportedDtype',
        `${file.source}: tensor "${name}" has dtype ${e.dtype}; only ${FLOAT_DTYPES.join(', ')} weights can be ` +
          `loaded — convert the checkpoint to float32 (e.g. model.float() before save_pretrained)`,
        name,
      );
  }
  return { shape: [...e.shape], data: out };
}

/**
 * Serialises float32 tensors as safetensors bytes, laid out like the reference writer: tensors sorted by name,
 * the header padded with spaces to a multiple of 8 bytes so every tensor's data is aligned.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__')
      throw new SafetensorsError('InvalidTensorEntry', 'a tensor cannot be named "__metadata__"', name);
    const t = tensors.get(name) as NamedTensor;
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(
        'TensorInvalidInfo',
        `tensor "${name}" has shape [${t.shape.join(', ')}] (${count} values) but ${t.data.length} values`,
        name,
      );
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true); // header length, LE u64
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  const view = new DataView(out.buffer);
  let cursor = 8 + padded;
  for (const name of names) {
    const t = tensors.get(name) as NamedTensor;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), cursor);
    else t.data.forEach((v, i) => view.setFloat32(cursor + i * 4, v, true));
    cursor += t.data.byteLength;
  }
  return out;
}

/** Writes float32 tensors to a .safetensors file atomically (writeFileAtomicAsync). */
export async function writeSafetensorsFile(
  file: string,
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomicAsync(file, serializeSafetensors(tensors, metadata));
}
