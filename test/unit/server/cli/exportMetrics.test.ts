/** `mlm export-metrics` run as a user does, on a tiny run folder; the event file is read back by the format reader. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../../runCli';
import { readRecords } from '../ml/checkpoint/tfeventsReader';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-export-metrics-'));
void after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = path.join(tmp, 'run');
fs.mkdirSync(run);
const CREATED = '2026-12-07T12:00:00.000Z';
fs.writeFileSync(
  path.join(run, 'run.json'),
  JSON.stringify({ id: 'run', createdAt: CREATED, status: 'completed' }),
);
fs.writeFileSync(
  path.join(run, 'metrics.jsonl'),
  [
    { split: 'train', step: 5, epoch: 0, time: 1500, loss: 3, lr: 0.5 },
    { split: 'eval', step: 5, epoch: 0, time: 2000, loss: 2.5, accuracy: 0.25 },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n') + '\n{"split":"tr', // a torn last line is skipped
);

void describe('mlm export-metrics', () => {
  void test('csv to standard output', async () => {
    const r = await runCli(['export-metrics', '--run', run]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'split,step,epoch,time,loss,accuracy,lr\r\ntrain,5,0,1500,3,,0.5\r\neval,5,0,2000,2.5,0.25,\r\n',
    );
  });

  void test('tensorboard into a new folder: one event file, wall time = createdAt + the row time', async () => {
    const out = path.join(tmp, 'tb');
    const r = await runCli(['export-metrics', '--run', run, '--format', 'tensorboard', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const files = fs.readdirSync(out);
    assert.equal(files.length, 1);
    assert.match(files[0], /^events\.out\.tfevents\.\d+\./);
    const events = readRecords(fs.readFileSync(path.join(out, files[0])));
    const start = Date.parse(CREATED);
    assert.deepEqual(events.slice(1), [
      {
        wallTime: (start + 1500) / 1000,
        step: 5,
        values: [
          { tag: 'train/loss', simpleValue: 3 },
          { tag: 'train/lr', simpleValue: 0.5 },
        ],
      },
      {
        wallTime: (start + 2000) / 1000,
        step: 5,
        values: [
          { tag: 'eval/loss', simpleValue: 2.5 },
          { tag: 'eval/accuracy', simpleValue: 0.25 },
        ],
      },
    ]);
  });

  const ERRORS: { name: string; args: string[]; code: number; stderr: RegExp }[] = [
    { name: 'no --run', args: [], code: 2, stderr: /no run given: pass --run/ },
    {
      name: 'a bad format',
      args: ['--run', run, '--format', 'xlsx'],
      code: 2,
      stderr: /--format must be csv or tensorboard, got "xlsx"/,
    },
    {
      name: 'a folder without metrics',
      args: ['--run', tmp],
      code: 1,
      stderr: /has no metrics\.jsonl: pass a run folder/,
    },
  ];
  for (const e of ERRORS) {
    void test(`${e.name}: exit ${e.code}, the cause named`, async () => {
      const r = await runCli(['export-metrics', ...e.args]);
      assert.equal(r.code, e.code);
      assert.match(r.stderr, e.stderr);
    });
  }
});
