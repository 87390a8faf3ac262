/**
 * TensorBoard event files beside metrics.jsonl (run config `logging.tensorboard`, `mlm export-metrics --format
 * tensorboard`): `events.out.tfevents.<seconds>.<host>`, a TFRecord stream of `Event` protobufs written by hand.
 *
 * A record is: uint64 length (little-endian), uint32 masked CRC32C of those 8 bytes, the data, uint32 masked CRC32C
 * of the data; masked(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8. The first record is an Event with
 * file_version "brain.Event:2"; every metric row becomes one Event (wall_time = the run's start + the row's time,
 * step = the row's step) whose Summary holds one simple_value per numeric column, tagged `<split>/<column>`
 * (`train/loss`, `eval/accuracy`). Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
 * summary = 5; Summary.value = 1 (repeated); Value.tag = 1 (string), simple_value = 2 (float).
 * Appends go through the guarded writer (atomicWrite.ts), so a full disk never leaves half a record.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { METRIC_COLUMNS, type MetricRecord } from '../../../protocol/shared/metrics';
import { appendFileGuarded } from '../atomicWrite';

/** The prefix of every event file name (TensorBoard finds files by it). */
export const TFEVENTS_PREFIX = 'events.out.tfevents.';

/** The numeric columns of a row, in a fixed order: loss, then METRIC_COLUMNS order. */
export const SCALAR_COLUMNS: readonly string[] = ['loss', ...Object.keys(METRIC_COLUMNS)];

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) of `data`. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 bits and add 0xa282ead8 (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** A minimal protobuf encoder: the wire types an Event needs (varint, 64-bit, length-delimited, 32-bit). */
class ProtoWriter {
  private readonly parts: Buffer[] = [];
  private varint(v: bigint): void {
    const bytes: number[] = [];
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      bytes.push(b);
    } while (x);
    this.parts.push(Buffer.from(bytes));
  }
  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }
  int64(field: number, v: number): this {
    this.key(field, 0);
    this.varint(BigInt(Math.trunc(v)));
    return this;
  }
  /** A fixed-width little-endian field: 64-bit (wire type 1) for a double, 32-bit (wire type 5) for a float. */
  private fixed(field: number, v: number, width: 4 | 8): this {
    this.key(field, width === 8 ? 1 : 5);
    const b = Buffer.alloc(width);
    if (width === 8) b.writeDoubleLE(v);
    else b.writeFloatLE(v);
    this.parts.push(b);
    return this;
  }
  double(field: number, v: number): this {
    return this.fixed(field, v, 8);
  }
  float(field: number, v: number): this {
    return this.fixed(field, v, 4);
  }
  bytes(field: number, v: Uint8Array): this {
    this.key(field, 2);
    this.varint(BigInt(v.length));
    this.parts.push(Buffer.from(v));
    return this;
  }
  string(field: number, v: string): this {
    return this.bytes(field, Buffer.from(v, 'utf8'));
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One scalar of an Event's Summary. */
export interface Scalar {
  tag: string;
  value: number;
}

/** An Event protobuf: wall time (seconds), step, and a file version or a Summary of scalars. */
export function encodeEvent(e: {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  scalars?: Scalar[];
}): Buffer {
  const w = new ProtoWriter().double(1, e.wallTime);
  if (e.step !== undefined) w.int64(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.scalars) {
    const summary = new ProtoWriter();
    for (const s of e.scalars)
      summary.bytes(1, new ProtoWriter().string(1, s.tag).float(2, s.value).finish());
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/** The scalars of a metric row: every numeric column (non-finite values too: TensorBoard draws NaN as a gap). */
export function scalarsOf(row: MetricRecord): Scalar[] {
  const r = row as unknown as Record<string, unknown>;
  return SCALAR_COLUMNS.filter((k) => typeof r[k] === 'number').map((k) => ({
    tag: `${row.split}/${k}`,
    value: r[k] as number,
  }));
}

/** The first record of every event file. */
export const fileVersionRecord = (wallTimeSec: number): Buffer =>
  tfRecord(encodeEvent({ wallTime: wallTimeSec, fileVersion: 'brain.Event:2' }));

/** The record of one metric row; `startMs` is the run's start (epoch milliseconds), the row's time is added. */
export const metricRowRecord = (row: MetricRecord, startMs: number): Buffer =>
  tfRecord(encodeEvent({ wallTime: (startMs + row.time) / 1000, step: row.step, scalars: scalarsOf(row) }));

/** The whole event file of `rows` (the file-version record, then one record per row). */
export function eventFileBytes(rows: readonly MetricRecord[], startMs: number): Buffer {
  return Buffer.concat([fileVersionRecord(startMs / 1000), ...rows.map((r) => metricRowRecord(r, startMs))]);
}

/** A run's start in epoch milliseconds from run.json's createdAt (now where it is missing or unreadable). */
export function runStartMs(createdAt: string | undefined): number {
  const t = createdAt ? Date.parse(createdAt) : NaN;
  return Number.isFinite(t) ? t : Date.now();
}

/** The event file name for a writer started at `startMs` on this host. */
export const eventFileName = (startMs: number): string =>
  `${TFEVENTS_PREFIX}${Math.floor(startMs / 1000)}.${os.hostname() || 'localhost'}`;

/** The newest event file in `dir`, if any. */
export function findEventFile(dir: string): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(TFEVENTS_PREFIX));
  } catch {
    return undefined;
  }
  return names.length ? path.join(dir, names.sort().at(-1)!) : undefined;
}

/**
 * Appends metric rows as Events to the run folder's event file (a resumed run appends to the file it already has;
 * the first append of a new one writes the file-version record first). Throws what the guarded writer throws.
 */
export class TensorBoardLog {
  private file: string | undefined;
  constructor(
    private readonly runDir: string,
    /** The run's start (epoch milliseconds): each row's wall time is this plus its time. */
    private readonly startMs: number,
  ) {
    this.file = findEventFile(runDir);
  }
  append(rows: readonly MetricRecord[]): void {
    if (!rows.length) return;
    const records = rows.map((r) => metricRowRecord(r, this.startMs));
    let file = this.file;
    if (!file) {
      file = path.join(this.runDir, eventFileName(Date.now()));
      records.unshift(fileVersionRecord(Date.now() / 1000));
    }
    appendFileGuarded(file, Buffer.concat(records));
    this.file = file;
  }
}
