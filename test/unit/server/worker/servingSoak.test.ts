/**
 * reliability: 14 leak soak, CI-sized: 2,000 steps of a tiny BERT run with a checkpoint every 100 steps, the
 * inference worker reloading each one and answering 1,000 hovers throughout (test/bench/servingSoak.ts, the same
 * soak `npm run bench -- soak` runs long). Live tensors stay flat on both threads and RSS grows less than a fixed
 * budget from the first quarter of the run to its end (samples after a full GC; measured 2026-12-07 on the shared
 * 2-core machine: 276 → 280 MB from step 500 to 2,000, tensors 78 / 32 throughout; 27 s of CPU).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../server/ml/backend';
import { servingSoak } from '../../../bench/servingSoak';
import { tinyConfig } from '../ml/train/trainFixtures';

const STEPS = 2000;
const HOVERS = 1000;
/** RSS growth allowed from the sample at a quarter of the run to the last one (both threads, both wasm heaps). */
const RSS_BUDGET_MB = 24;

void describe('reliability: 14 leak soak', () => {
  before(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  void test(`reliability: 14 leak soak: ${STEPS} tiny steps with a reload every 100 and ${HOVERS} hovers — tensors flat on both threads, RSS growth under ${RSS_BUDGET_MB} MB`, async () => {
    const tensors = tf.memory().numTensors;
    const config = tinyConfig({
      data: { seqLen: 32 },
      training: { maxSteps: STEPS, evalEvery: 500, evalBatches: 2, logEvery: 10, dataParallel: 1 },
      checkpoint: { every: 100, keepLast: 2 },
    });
    const r = await servingSoak(config, { hovers: HOVERS, sampleEvery: 100 });
    const first = r.samples[0];
    const quarter = r.samples[Math.floor(r.samples.length / 4)];
    const last = r.samples.at(-1)!;
    process.stdout.write(
      `# soak: ${r.summary.steps} steps, ${r.hovers.answered} hovers (+${r.hovers.busy} busy), ${r.reloads} reloads in ${r.seconds.toFixed(1)} s; ` +
        `RSS ${first.rssMB.toFixed(0)} → ${quarter.rssMB.toFixed(0)} → ${last.rssMB.toFixed(0)} MB; ` +
        `trainer tensors ${first.trainerTensors} → ${last.trainerTensors}; worker tensors ${r.workerTensors.join(' ')}\n` +
        `# rss ${r.samples.map((s) => s.rssMB.toFixed(0)).join(' ')}\n# heap ${r.samples.map((s) => s.heapMB.toFixed(0)).join(' ')}\n`,
    );
    assert.equal(r.summary.stoppedBy, 'max-steps', r.summary.error);
    assert.equal(r.summary.steps, STEPS);
    assert.equal(r.hovers.answered + r.hovers.busy, HOVERS);
    assert.ok(r.hovers.answered >= HOVERS / 2, `${r.hovers.busy} of ${HOVERS} hovers answered Busy`);
    assert.ok(r.reloads >= 5, `${r.reloads} reloads`);
    assert.deepEqual(
      new Set(r.samples.map((s) => s.trainerTensors)),
      new Set([first.trainerTensors]),
      'trainer tensors flat',
    );
    assert.deepEqual(new Set(r.workerTensors), new Set([r.workerTensors[0]]), 'worker tensors flat');
    assert.ok(
      last.rssMB - quarter.rssMB < RSS_BUDGET_MB,
      `RSS grew ${(last.rssMB - quarter.rssMB).toFixed(1)} MB from step ${quarter.step} to ${last.step}`,
    );
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left on this thread');
  });
});
