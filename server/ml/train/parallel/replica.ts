/**
 * One data-parallel replica, the worker side: it builds the leader's model on its own tfjs (single-threaded
 * wasm), then per step reads the leader's weights from shared memory, computes the weighted gradient of its
 * share of each micro-batch into its shared slot and reports the loss; the leader sums and updates.
 * server/worker/replicaWorker.ts runs it on a worker thread's port.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../backend';
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

export function serveReplica(port: ReplicaPort): void {
  let model: MlmModel | undefined;
  let layout: ParamLayout | undefined;
  let weights: Float32Array | undefined;
  let grads: Float32Array | undefined;
  const send = (m: FromReplica) => port.postMessage(m);

  async function handle(msg: ToReplica): Promise<void> {
    if (msg.type === 'init') {
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
    handle(msg).catch((err: unknown) =>
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}
