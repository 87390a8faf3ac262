/**
 * A shutdown mid-run (VS Code reloads or closes): the trainer ends after the current step without a final evaluation,
 * writes a final checkpoint only when it can finish before the deadline, leaves the run interrupted, and a resume
 * continues it as one curve (each step logged once).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { listCheckpoints, readMetrics, readRunStatus } from '../../../../../server/ml/checkpoint';
import { expectedSaveMs } from '../../../../../server/ml/train/checkpointWriter';
import { runTraining } from '../../../../../server/ml/train/run';
import { syntheticWorkspace, tinyConfig } from './trainFixtures';

let ws: string;
void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  ws = syntheticWorkspace(3, 80);
});
void after(() => fs.rmSync(ws, { recursive: true, force: true }));

const config = () => tinyConfig({ training: { maxSteps: 24, evalEvery: 8 }, checkpoint: { every: 8 } });

/** Trains until step 12 is logged, then shuts down with `budgetMs` left for the final save. */
async function shutDownAt12(budgetMs: number) {
  const abort = new AbortController();
  let deadline: number | undefined;
  const logs: string[] = [];
  const s = await runTraining(config(), {
    cwd: ws,
    control: { signal: abort.signal, shutdownDeadline: () => deadline },
    callbacks: {
      onLog: (_, m) => logs.push(m),
      onMetrics: (m) => {
        if (m.split === 'train' && m.step === 12) {
          deadline = Date.now() + budgetMs;
          abort.abort();
        }
      },
    },
  });
  return { s, logs };
}

void describe('shutdown', () => {
  for (const [name, budgetMs, saved] of [
    ['a save that fits the budget is written', 60_000, true],
    ['a save that cannot fit keeps the last complete checkpoint', 0, false],
  ] as const) {
    void test(`reliability: 28 reload within budget — ${name}; the run is interrupted and resumes as one curve`, async () => {
      const { s, logs } = await shutDownAt12(budgetMs);
      assert.equal(s.stoppedBy, 'shutdown', s.error);
      assert.equal(s.steps, 12);
      assert.equal(readRunStatus(s.runDir)?.status, 'interrupted');
      const evalSteps = readMetrics(s.runDir)
        .filter((m) => m.split === 'eval')
        .map((m) => m.step);
      assert.deepEqual(evalSteps, [8], 'no final evaluation on shutdown');
      assert.deepEqual(
        listCheckpoints(s.runDir).map((c) => c.step),
        saved ? [8, 12] : [8],
      );
      assert.ok(
        logs.some((l) =>
          (saved ? /final checkpoint saved/ : /no final checkpoint .*\(step 8\) is kept/).test(l),
        ),
        logs.join('\n'),
      );

      const resumed = await runTraining(config(), { cwd: ws, resumeFrom: s.runDir });
      assert.equal(resumed.stoppedBy, 'max-steps', resumed.error);
      assert.equal(readRunStatus(s.runDir)?.status, 'completed');
      const train = readMetrics(s.runDir).filter((m) => m.split === 'train');
      assert.deepEqual(
        train.map((m) => m.step),
        Array.from({ length: 24 }, (_, i) => i + 1),
        'each step once: the rows after the checkpoint were dropped and trained again',
      );
      for (let i = 1; i < train.length; i++) assert.ok(train[i].time >= train[i - 1].time, 'time continues');
    });
  }

  void test('the expected save time scales with the bytes and prefers a timed save', () => {
    assert.ok(expectedSaveMs(110e6) > 2000, 'a base model (110 M parameters) does not fit a 2 s shutdown');
    assert.ok(expectedSaveMs(1.5e6) < 1000, 'a tiny model does');
    assert.equal(expectedSaveMs(2e6, { ms: 100, bytes: 12e6 }), 200);
  });
});
