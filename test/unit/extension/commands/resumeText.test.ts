/** MLM: Resume Run…'s rows and offer: which runs are listed, and what resuming each one costs, in words. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatLost,
  resumableRuns,
  resumeItem,
  resumeOffer,
} from '../../../../extension/commands/resumeText';
import type { RunInfo } from '../../../../protocol/training';

const run = (id: string, patch: Partial<RunInfo> = {}): RunInfo => ({
  runId: id,
  dir: `/w/.mlm/runs/${id}`,
  checkpoints: [40],
  active: false,
  ...patch,
});

void describe('Resume Run words', () => {
  void test('only unfinished runs with a resume point that are not training are listed', () => {
    const point = { checkpointStep: 40, lastStep: 52, stepsLost: 12, secondsLost: 95 };
    const runs = [
      run('a', { status: 'interrupted', resume: point }),
      run('b', { status: 'completed' }),
      run('c', { status: 'interrupted', resume: point, active: true }),
      run('d', { status: 'stopped', resume: { ...point, lastStep: 40, stepsLost: 0, secondsLost: 0 } }),
    ];
    assert.deepEqual(
      resumableRuns(runs).map((r) => r.runId),
      ['a', 'd'],
    );
  });

  const table: Array<[number, string]> = [
    [4.4, '4 s'],
    [60, '1 min'],
    [200, '3 min 20 s'],
    [3600, '1 h'],
    [3900, '1 h 5 min'],
  ];
  for (const [s, text] of table)
    void test(`${s} s lost reads "${text}"`, () => assert.equal(formatLost(s), text));

  void test('a quick-pick row and the offer name the checkpoint, the steps and the time lost', () => {
    const [r] = resumableRuns([
      run('20260101-tiny', {
        status: 'interrupted',
        maxSteps: 400,
        resume: { checkpointStep: 40, lastStep: 52, stepsLost: 12, secondsLost: 95 },
      }),
    ]);
    assert.deepEqual(resumeItem(r), {
      label: '20260101-tiny',
      description: 'interrupted at step 52 of 400',
      detail: 'continues from its last complete checkpoint, step 40: 12 steps (~1 min 35 s) trained again',
    });
    assert.equal(
      resumeOffer(r),
      'MLM: run 20260101-tiny was interrupted at step 52. Its last complete checkpoint is step 40 (12 steps (~1 min 35 s) trained again). Resume it?',
    );
    const [saved] = resumableRuns([
      run('x', {
        status: 'interrupted',
        resume: { checkpointStep: 52, lastStep: 52, stepsLost: 0, secondsLost: 0 },
      }),
    ]);
    assert.match(resumeItem(saved).detail, /step 52: nothing lost/);
  });
});
