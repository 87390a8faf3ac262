/**
 * reliability: a WebAssembly abort in the inference worker (a real worker thread running the product's
 * inference role; the abort injected by the wasm heap guard's MLM_WASM_FAULT) answers the request with
 * ComputeAborted naming the cause, ends that worker, and the next request gets a fresh worker that works.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MlmError, MlmErrorCodes } from '../../../../protocol/errors';
import { initBackend } from '../../../../server/ml/backend';
import { runTraining } from '../../../../server/ml/train/run';
import { InferenceHost } from '../../../../server/worker/inferenceHost';
import { startWorker } from '../../../../server/worker/workerScript';
import type { WorkerData } from '../../../../server/worker/messages';
import { syntheticWorkspace, tinyConfig } from '../ml/train/trainFixtures';

let ws: string;
let runDir: string;
before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  ws = syntheticWorkspace(3, 40);
  const s = await runTraining(tinyConfig({ training: { maxSteps: 2, evalEvery: 2 } }), { cwd: ws });
  assert.equal(s.stoppedBy, 'max-steps', s.error);
  runDir = s.runDir;
});
after(() => fs.rmSync(ws, { recursive: true, force: true }));

void describe('reliability: inference worker abort', () => {
  void test('a wasm abort answers ComputeAborted, ends the worker, and the next request works', async () => {
    let started = 0;
    const logs: string[] = [];
    const host = new InferenceHost(
      () => ({ backend: 'wasm', threads: 1 }),
      { backend: () => undefined, log: (_level, m) => logs.push(m) },
      (workerData: WorkerData) =>
        startWorker('mlm-worker', {
          workerData,
          // Only the first worker aborts, at its 300th allocation (after the load, within a few fills).
          env: { ...process.env, ...(started++ === 0 ? { MLM_WASM_FAULT: 'abort@300' } : {}) },
        }),
    );
    const fill = () =>
      host.fill({ text: 'the cat eats [MASK] in the house .', topK: 3, maskToken: '[MASK]' });
    try {
      let failure: unknown;
      try {
        await host.load(runDir);
        for (let i = 0; i < 200; i++) await fill();
      } catch (err) {
        failure = err;
      }
      assert.ok(failure instanceof MlmError, `expected the injected abort, got ${String(failure)}`);
      assert.equal(failure.code, MlmErrorCodes.ComputeAborted);
      assert.match(failure.message, /WebAssembly backend of the inference worker aborted .* restarts/);
      await host.load(runDir);
      const r = await fill();
      assert.equal(r.masks.length, 1);
      assert.equal(r.masks[0].predictions.length, 3);
      assert.equal(started, 2, 'one fresh worker');
    } finally {
      await host.dispose();
    }
  });
});
