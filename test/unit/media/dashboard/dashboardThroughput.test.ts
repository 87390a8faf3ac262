import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { throughputCells } from '../../../../media/dashboard/throughput';
import { isMetricRecord, type MetricRecord } from '../../../../protocol/shared/metrics';

const row = (extra: Partial<MetricRecord>): MetricRecord => ({
  split: 'train',
  step: 1,
  epoch: 0,
  time: 0,
  loss: 1,
  ...extra,
});

void describe('dashboard throughput cells', () => {
  const table: Array<{ name: string; r: MetricRecord | undefined; want: Array<[string, string]> }> = [
    { name: 'no row', r: undefined, want: [] },
    { name: 'no throughput yet', r: row({}), want: [] },
    {
      name: 'tokens/s only (a run from before MFU)',
      r: row({ tokensPerSec: 1234.4 }),
      want: [['Tokens/s', (1234).toLocaleString()]],
    },
    {
      name: 'tokens/s, GFLOP/s against the peak, MFU',
      r: row({
        tokensPerSec: 1000,
        flopsPerToken: 22.4e6,
        achievedGflops: 22.4,
        peakGflops: 84,
        mfu: 22.4 / 84,
      }),
      want: [
        ['Tokens/s', (1000).toLocaleString()],
        ['GFLOP/s', '22.4 of 84.0 peak'],
        ['MFU', '26.7%'],
      ],
    },
    {
      name: 'the slow cpu backend: two significant digits below 1 GFLOP/s',
      r: row({ tokensPerSec: 15, achievedGflops: 0.042, peakGflops: 0.63, mfu: 0.0667 }),
      want: [
        ['Tokens/s', '15'],
        ['GFLOP/s', '0.042 of 0.63 peak'],
        ['MFU', '6.7%'],
      ],
    },
  ];
  for (const c of table) {
    void test(c.name, () => {
      const cells = throughputCells(c.r);
      assert.deepEqual(
        cells.map((x) => [x.k, x.v]),
        c.want,
      );
      const mfu = cells.find((x) => x.k === 'MFU');
      if (mfu)
        assert.match(
          mfu.title ?? '',
          /measured on the training thread.*Data-parallel.*per-thread peak × the replica threads/s,
        );
    });
  }

  void test('the webview guard accepts the compute fields as numbers only', () => {
    assert.ok(isMetricRecord(row({ mfu: 0.5, achievedGflops: 20, peakGflops: 40, flopsPerToken: 22.4e6 })));
    for (const k of ['mfu', 'achievedGflops', 'peakGflops', 'flopsPerToken']) {
      assert.equal(isMetricRecord({ ...row({}), [k]: '0.5' }), false, k);
    }
  });
});
