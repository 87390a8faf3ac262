import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvField, metricsToCsv } from '../../../../protocol/shared/metricsCsv';
import type { MetricRecord } from '../../../../protocol/shared/metrics';

const row = (r: Partial<MetricRecord> & Pick<MetricRecord, 'split' | 'step'>): MetricRecord => ({
  epoch: 0,
  time: 10 * r.step,
  loss: 2,
  ...r,
});

void describe('csvField (RFC 4180 quoting)', () => {
  const CASES: [unknown, string][] = [
    [1.5, '1.5'],
    [undefined, ''],
    [null, ''],
    [NaN, 'NaN'],
    [-Infinity, '-Infinity'],
    ['train', 'train'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
  ];
  for (const [v, want] of CASES)
    void test(`${JSON.stringify(String(v))} → ${JSON.stringify(want)}`, () =>
      assert.equal(csvField(v), want));
});

void describe('metricsToCsv', () => {
  const CASES: { name: string; rows: MetricRecord[]; want: string[] }[] = [
    { name: 'no rows: the required header only', rows: [], want: ['split,step,epoch,time,loss'] },
    {
      name: 'columns that occur, in METRIC_COLUMNS order; missing and null cells empty; non-numeric fields left out',
      rows: [
        row({ split: 'train', step: 1, lr: 0.001, tokensPerSec: 500 }),
        {
          ...row({ split: 'eval', step: 1, loss: NaN, accuracy: 0.25 }),
          classes: ['a,b', 'c'],
          perplexity: null as unknown as number,
        },
      ],
      want: [
        'split,step,epoch,time,loss,accuracy,lr,tokensPerSec',
        'train,1,0,10,2,,0.001,500',
        'eval,1,0,10,NaN,0.25,,',
      ],
    },
  ];
  for (const c of CASES) {
    void test(c.name, () => assert.equal(metricsToCsv(c.rows), `${c.want.join('\r\n')}\r\n`));
  }
});
