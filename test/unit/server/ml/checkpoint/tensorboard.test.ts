/**
 * The TensorBoard event writer read back by a reader built here from the published TFRecord / Event format (not
 * from the writer's code): each record's length, masked CRC32C of the length, data and masked CRC32C of the data,
 * the CRCs checked with a bitwise CRC32C that is itself checked against known-answer vectors (RFC 3720 B.4), and the
 * Event / Summary / Value protobuf decoded field by field. TensorBoard and TensorFlow are not installed on our
 * machines (/usr/bin/python3 has neither), so no parity test against them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  crc32c,
  eventFileBytes,
  MetricsLog,
  METRICS_FILE,
  TFEVENTS_PREFIX,
} from '../../../../../server/ml/checkpoint';
import type { MetricRecord } from '../../../../../protocol/shared/metrics';
import { crc32cBitwise, readRecords } from './tfeventsReader';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-tfevents-'));
void after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
const CRC_VECTORS: { name: string; data: Uint8Array; crc: number }[] = [
  { name: '"123456789"', data: Buffer.from('123456789'), crc: 0xe3069283 },
  { name: 'empty', data: new Uint8Array(0), crc: 0 },
  { name: '32 zero bytes', data: new Uint8Array(32), crc: 0x8a9136aa },
  { name: '32 0xFF bytes', data: new Uint8Array(32).fill(0xff), crc: 0x62a8ab43 },
  { name: '32 ascending bytes', data: ascending, crc: 0x46dd794e },
  { name: '32 descending bytes', data: ascending.slice().reverse(), crc: 0x113fdb5c },
];

void describe('CRC32C known answers', () => {
  for (const v of CRC_VECTORS) {
    void test(`${v.name}: the test's reader and the writer both give ${v.crc.toString(16)}`, () => {
      assert.equal(crc32cBitwise(v.data), v.crc);
      assert.equal(crc32c(v.data), v.crc);
    });
  }
});

// ---- the writer, read back ----------------------------------------------------------------------------------

const START = Date.UTC(2026, 11, 7, 12, 0, 0);
const row = (r: Partial<MetricRecord> & Pick<MetricRecord, 'split' | 'step'>): MetricRecord => ({
  epoch: 0,
  time: 1000 * r.step,
  loss: 2.5,
  ...r,
});
const f32 = (x: number) => Math.fround(x);

const CASES: {
  name: string;
  rows: MetricRecord[];
  want: { step: number; wallTime: number; values: { tag: string; simpleValue: number }[] }[];
}[] = [
  { name: 'no rows: only the file-version record', rows: [], want: [] },
  {
    name: 'a train row: loss and every numeric column, in order',
    rows: [row({ split: 'train', step: 10, loss: 3.25, lr: 1e-4, tokensPerSec: 1234.5, gradNorm: 0.7 })],
    want: [
      {
        step: 10,
        wallTime: (START + 10_000) / 1000,
        values: [
          { tag: 'train/loss', simpleValue: 3.25 },
          { tag: 'train/lr', simpleValue: f32(1e-4) },
          { tag: 'train/gradNorm', simpleValue: f32(0.7) },
          { tag: 'train/tokensPerSec', simpleValue: 1234.5 },
        ],
      },
    ],
  },
  {
    name: 'an eval row; non-numeric fields (classes, confusion) and null columns are left out',
    rows: [
      {
        ...row({ split: 'eval', step: 2 ** 33, loss: 1.5, accuracy: 0.625, perplexity: 4.5 }),
        classes: ['a', 'b'],
        confusion: [
          [1, 0],
          [0, 1],
        ],
        macroF1: null as unknown as number,
      },
    ],
    want: [
      {
        step: 2 ** 33,
        wallTime: (START + 1000 * 2 ** 33) / 1000,
        values: [
          { tag: 'eval/loss', simpleValue: 1.5 },
          { tag: 'eval/accuracy', simpleValue: 0.625 },
          { tag: 'eval/perplexity', simpleValue: 4.5 },
        ],
      },
    ],
  },
  {
    name: 'a diverged loss is kept (NaN), step 0',
    rows: [row({ split: 'train', step: 0, loss: NaN })],
    want: [{ step: 0, wallTime: START / 1000, values: [{ tag: 'train/loss', simpleValue: NaN }] }],
  },
];

void describe('TensorBoard event file, read back by the format reader', () => {
  for (const c of CASES) {
    void test(c.name, () => {
      const events = readRecords(eventFileBytes(c.rows, START));
      assert.deepEqual(events[0], { wallTime: START / 1000, fileVersion: 'brain.Event:2' });
      assert.deepEqual(events.slice(1), c.want);
    });
  }
});

void describe('MetricsLog with tensorboard', () => {
  void test('writes beside metrics.jsonl; a resumed run appends to the same file after one file-version record', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
    const first = new MetricsLog(dir, { tensorboard: { startMs: START } });
    first.append(row({ split: 'train', step: 1 }));
    first.append(row({ split: 'eval', step: 1, accuracy: 0.5 }));
    const resumed = new MetricsLog(dir, { tensorboard: { startMs: START } });
    resumed.append(row({ split: 'train', step: 2, loss: 2 }));
    const files = fs.readdirSync(dir).filter((n) => n.startsWith(TFEVENTS_PREFIX));
    assert.equal(files.length, 1);
    assert.match(files[0], /^events\.out\.tfevents\.\d+\.\S+$/);
    const events = readRecords(fs.readFileSync(path.join(dir, files[0])));
    assert.deepEqual(
      events.map(
        (e) => e.fileVersion ?? `${e.step}:${e.values?.map((v) => `${v.tag}=${v.simpleValue}`).join(',')}`,
      ),
      ['brain.Event:2', '1:train/loss=2.5', '1:eval/loss=2.5,eval/accuracy=0.5', '2:train/loss=2'],
    );
    assert.equal(fs.readFileSync(path.join(dir, METRICS_FILE), 'utf8').trim().split('\n').length, 3);
  });

  void test('off by default: no event file', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
    new MetricsLog(dir).append(row({ split: 'train', step: 1 }));
    assert.deepEqual(fs.readdirSync(dir), [METRICS_FILE]);
  });
});
