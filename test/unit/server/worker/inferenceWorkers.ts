/**
 * Inference workers for the InferenceHost tests: a fake whose replies the test sends itself (so "the worker is busy"
 * is a fact of the test, not of timing), and real worker threads running the product's inference role on a tiny
 * trained run, the first of them started with a fault injected through its environment.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { initBackend } from '../../../../server/ml/backend';
import { runTraining } from '../../../../server/ml/train/run';
import {
  InferenceHost,
  type InferenceLimits,
  type InferenceWorker,
} from '../../../../server/worker/inferenceHost';
import type {
  FromInference,
  InferenceResult,
  ToInference,
  WorkerData,
} from '../../../../server/worker/messages';
import { startWorker } from '../../../../server/worker/workerScript';
import { syntheticWorkspace, tinyConfig } from '../ml/train/trainFixtures';

/** A worker that records what it is sent and answers only when the test says so. */
export class FakeInferenceWorker extends EventEmitter implements InferenceWorker {
  readonly sent: ToInference[] = [];
  terminated = false;
  postMessage(m: ToInference): void {
    this.sent.push(m);
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  /** Answers the i-th message sent with `result`. */
  answer(i: number, result: InferenceResult): void {
    this.emit('message', { type: 'reply', id: this.sent[i].id, ok: true, result } satisfies FromInference);
  }
}

/** Lets promise callbacks run (mocked timers leave setImmediate alone). */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A 2-step tiny run (wasm, 1 thread) in a synthetic workspace, for a real worker to load; `cleanup` removes it. */
export async function tinyTrainedRun(): Promise<{ runDir: string; cleanup: () => void }> {
  await initBackend({ backend: 'wasm', threads: 1 });
  const ws = syntheticWorkspace(3, 40);
  const s = await runTraining(tinyConfig({ training: { maxSteps: 2, evalEvery: 2 } }), { cwd: ws });
  assert.equal(s.stoppedBy, 'max-steps', s.error);
  return { runDir: s.runDir, cleanup: () => fs.rmSync(ws, { recursive: true, force: true }) };
}

/**
 * An InferenceHost on real worker threads (wasm, 1 thread) whose first worker starts with `firstEnv` added to its
 * environment (a fault: MLM_WASM_FAULT, MLM_TEST_HANG_FILL); the workers after it start clean. `started()` counts
 * the workers, `logs` keeps what the host logged.
 */
export function hostWithFaultyFirstWorker(
  firstEnv: Record<string, string>,
  limits?: () => InferenceLimits,
): { host: InferenceHost; logs: string[]; started: () => number } {
  let started = 0;
  const logs: string[] = [];
  const host = new InferenceHost(
    () => ({ backend: 'wasm', threads: 1 }),
    { backend: () => undefined, log: (_level, m) => logs.push(m) },
    (workerData: WorkerData) =>
      startWorker('mlm-worker', {
        workerData,
        env: { ...process.env, ...(started++ === 0 ? firstEnv : {}) },
      }),
    limits,
  );
  return { host, logs, started: () => started };
}
