/**
 * reliability over JSON-RPC: a run that cannot fit in memory, and a run whose trainer's WebAssembly module
 * aborts, each end with mlm/runFinished 'failed' carrying its MlmErrorCodes code (OutOfMemory, ComputeAborted)
 * and a message naming the cause; the backend keeps serving. Faults come from the wasm heap guard's
 * MLM_WASM_HEAP_LIMIT / MLM_WASM_FAULT in the spawned backend's environment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { ServerStatus } from '../../protocol/status';
import type { RunFinishedNotification, TrainRequest } from '../../protocol/training';
import { startBackend, stopServer, TINY_RUN, type Spawned } from './harness';

const cases: Array<{ name: string; env: Record<string, string>; code: number; message: RegExp }> = [
  {
    name: 'a run that cannot fit is refused: OutOfMemory',
    env: { MLM_WASM_HEAP_LIMIT: '200MiB' },
    code: MlmErrorCodes.OutOfMemory,
    message: /does not fit in memory even at 1 row per pass: it needs \d+ MiB on the leader/,
  },
  {
    name: "the trainer's wasm aborts: ComputeAborted",
    env: { MLM_WASM_FAULT: 'abort@2000' },
    code: MlmErrorCodes.ComputeAborted,
    message: /WebAssembly backend aborted \("Aborted\(\)"\) and the run ended/,
  },
];

for (const c of cases) {
  void describe(`reliability: 13 OOM — ${c.name}`, { timeout: 90_000 }, () => {
    let s: Spawned;
    void before(async () => {
      ({ s } = await startBackend({ spawn: { env: { MLM_GPU_POLL_MS: '1000', ...c.env } } }));
    });
    void after(async () => {
      await stopServer(s);
    });

    void test('mlm/runFinished is failed with the code and the cause; the backend keeps serving', async () => {
      const finished = s.notes.next<RunFinishedNotification.Params>('mlm/runFinished');
      const run = await s.conn.sendRequest<TrainRequest.Result>('mlm/train', { config: TINY_RUN });
      const f = await finished;
      assert.equal(f.runId, run.runId);
      assert.equal(f.outcome, 'failed', f.message);
      assert.equal(f.errorCode, c.code, f.message);
      assert.match(f.message, c.message);
      const status = await s.conn.sendRequest<ServerStatus>('mlm/status');
      assert.equal(status.state, 'error');
    });
  });
}
