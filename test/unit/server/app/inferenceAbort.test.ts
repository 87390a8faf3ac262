/**
 * reliability: a WebAssembly abort in the inference worker (a real worker thread running the product's
 * inference role; the abort injected by the wasm heap guard's MLM_WASM_FAULT) answers the request with
 * ComputeAborted naming the cause, ends that worker, and the next request gets a fresh worker that works.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MlmError, MlmErrorCodes } from '../../../../protocol/errors';
import { hostWithFaultyFirstWorker, tinyTrainedRun } from '../worker/inferenceWorkers';

let run: Awaited<ReturnType<typeof tinyTrainedRun>>;
before(async () => {
  run = await tinyTrainedRun();
});
after(() => run.cleanup());

void describe('reliability: inference worker abort', () => {
  void test('a wasm abort answers ComputeAborted, ends the worker, and the next request works', async () => {
    // Only the first worker aborts, at its 300th allocation (after the load, within a few fills).
    const { host, started } = hostWithFaultyFirstWorker({ MLM_WASM_FAULT: 'abort@300' });
    const fill = () =>
      host.fill({ text: 'the cat eats [MASK] in the house .', topK: 3, maskToken: '[MASK]' });
    try {
      let failure: unknown;
      try {
        await host.load(run.runDir);
        for (let i = 0; i < 200; i++) await fill();
      } catch (err) {
        failure = err;
      }
      assert.ok(failure instanceof MlmError, `expected the injected abort, got ${String(failure)}`);
      assert.equal(failure.code, MlmErrorCodes.ComputeAborted);
      assert.match(failure.message, /WebAssembly backend of the inference worker aborted .* restarts/);
      await host.load(run.runDir);
      const r = await fill();
      assert.equal(r.masks.length, 1);
      assert.equal(r.masks[0].predictions.length, 3);
      assert.equal(started(), 2, 'one fresh worker');
    } finally {
      await host.dispose();
    }
  });
});
