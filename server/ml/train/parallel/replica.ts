/**
 * One data-parallel replica, the worker side: it builds the leader's model on its own tfjs (single-threaded
 * wasm), then per step reads the leader's weights from shared memory, computes the weighted gradient of its
 * share of each micro-batch into its shared slot and reports the loss; the leader sums and updates.
 * server/worker/replicaWorker.ts runs it on a worker thread's port.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../backend';
import { wasmAborted, WasmOutOfMemoryError } from '../../backend/wasmHeap';
import { createModel } from '../../model';
import type { MlmModel } from '../../types';
import { checkLayout, writeWeights, type ParamLayout } from './layout';
import type { FromReplica, ToReplica } from './messages';
import { shareGradients } from './shareGradients';

/** The port a replica talks to its leader through (node:worker_threads' parentPort fits). */
export interface ReplicaPort {
  postMessage(m: FromReplica): void;
  on(event: 'message', listener: (m: ToReplica) => void): unknown;
}

/**
 * onAbort: called after this replica's wasm module aborted and the leader was told (kind 'aborted'); the module
 * must not be called again, so the worker entry ends the thread there.
 */
export function serveReplica(port: ReplicaPort, onAbort: () => void): void {
  let model: MlmModel | undefined;
  let layout: ParamLayout | undefined;
  let weights: Float32Array | undefined;
  let grads: Float32Array | undefined;
  const send = (m: FromReplica) => port.postMessage(m);

  async function handle(msg: ToReplica): Promise<void> {
    if (msg.type === 'init') {
      // Tests inject a fault or a lower heap ceiling into the replicas only (this thread's env is its own copy).
      for (const name of ['MLM_WASM_FAULT', 'MLM_WASM_HEAP_LIMIT']) {
        const v = process.env[`MLM_REPLICA_${name.slice(4)}`];
        if (v !== undefined) process.env[name] = v;
      }
      await initBackend({ backend: msg.backend, threads: 1 });
      model = createModel(msg.config, { seed: msg.seed });
      checkLayout(model, msg.layout);
      layout = msg.layout;
      weights = new Float32Array(msg.weights);
      grads = new Float32Array(msg.grads);
      send({ type: 'ready' });
      return;
    }
    if (!model || !layout || !weights || !grads) throw new Error('replica got a step before init');
    writeWeights(model, layout, weights);
    if (msg.rngState !== null) model.setRngState?.(msg.rngState);
    const r = shareGradients(model, layout, msg.parts, grads);
    send({ type: 'done', lossSum: r.lossSum, correct: r.correct, numTensors: tf.memory().numTensors });
  }

  port.on('message', (msg: ToReplica) => {
    handle(msg).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (wasmAborted(err)) {
        // The module is dead (and a call into it could spin for ever): report, then end this thread.
        send({ type: 'error', message, kind: 'aborted' });
        onAbort();
        return;
      }
      send({
        type: 'error',
        message,
        kind: err instanceof WasmOutOfMemoryError ? 'out-of-memory' : undefined,
      });
    });
  });
}
