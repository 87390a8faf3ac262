/**
 * A reader of TensorBoard event files built from the published format, not from the writer's code (tests only):
 * TFRecord framing (uint64 length LE, masked CRC32C of the length, data, masked CRC32C of the data; both CRCs
 * checked with a bitwise CRC32C) and the Event / Summary / Value protobuf decoded field by field.
 */
import assert from 'node:assert/strict';

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78), independent of the writer's table. */
export function crc32cBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

type Field = { field: number; wire: number; value: bigint | Buffer };
function decodeProto(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      assert.ok(b !== undefined, 'varint runs past the end');
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) out.push({ field, wire, value: buf.subarray(pos, (pos += 8)) });
    else if (wire === 5) out.push({ field, wire, value: buf.subarray(pos, (pos += 4)) });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, wire, value: buf.subarray(pos, (pos += n)) });
    } else assert.fail(`unexpected wire type ${wire}`);
  }
  assert.equal(pos, buf.length, 'message overruns its bytes');
  return out;
}

export interface ReadEvent {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  values?: { tag: string; simpleValue: number }[];
}
function decodeEvent(buf: Buffer): ReadEvent {
  const e: ReadEvent = { wallTime: NaN };
  for (const f of decodeProto(buf)) {
    if (f.field === 1 && f.wire === 1) e.wallTime = (f.value as Buffer).readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) e.step = Number(BigInt.asIntN(64, f.value as bigint));
    else if (f.field === 3 && f.wire === 2) e.fileVersion = (f.value as Buffer).toString('utf8');
    else if (f.field === 5 && f.wire === 2) {
      e.values = decodeProto(f.value as Buffer).map((v) => {
        assert.equal(v.field, 1, 'Summary has only field 1 (value)');
        const val = { tag: '', simpleValue: NaN };
        for (const g of decodeProto(v.value as Buffer)) {
          if (g.field === 1 && g.wire === 2) val.tag = (g.value as Buffer).toString('utf8');
          else if (g.field === 2 && g.wire === 5) val.simpleValue = (g.value as Buffer).readFloatLE(0);
          else assert.fail(`unexpected Value field ${g.field}`);
        }
        return val;
      });
    } else assert.fail(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return e;
}

export function readRecords(buf: Buffer): ReadEvent[] {
  const events: ReadEvent[] = [];
  let pos = 0;
  while (pos < buf.length) {
    assert.ok(pos + 12 <= buf.length, 'truncated record header');
    const lenBytes = buf.subarray(pos, pos + 8);
    const len = Number(lenBytes.readBigUInt64LE(0));
    assert.equal(
      buf.readUInt32LE(pos + 8),
      mask(crc32cBitwise(lenBytes)),
      `length CRC of record ${events.length}`,
    );
    const data = buf.subarray(pos + 12, pos + 12 + len);
    assert.equal(data.length, len, 'truncated record data');
    assert.equal(
      buf.readUInt32LE(pos + 12 + len),
      mask(crc32cBitwise(data)),
      `data CRC of record ${events.length}`,
    );
    events.push(decodeEvent(data));
    pos += 12 + len + 4;
  }
  return events;
}
