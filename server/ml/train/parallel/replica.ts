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
import { mlmLoss, type LossSource } from '../step';
import { checkLayout, writeWeights, type ParamLayout, type VariableOwner } from './layout';
import type { FromReplica, ReplicaModelSpec, ToReplica } from './messages';
import { shareGradients } from './shareGradients';
import type { RowBatch } from './split';

/** A replica's model and the loss it trains, built from the leader's spec. */
export interface ReplicaTrainee {
  model: VariableOwner & { setRngState?(state: number): void };
  source: LossSource<RowBatch>;
}

/** Builds a replica's model from the leader's spec (its own weights are overwritten before every step). */
export type BuildReplica = (spec: ReplicaModelSpec, seed: number) => ReplicaTrainee;

/** The masked-LM model of pretraining (the default; fine-tuning's task models: finetune/replica.ts). */
export const buildMlmReplica: BuildReplica = (spec, seed) => {
  if (spec.kind !== 'mlm') throw new Error(`this replica cannot build a "${spec.kind}" model`);
  const model = createModel(spec.config, { seed });
  return { model, source: mlmLoss(model) };
};

/** The port a replica talks to its leader through (node:worker_threads' parentPort fits). */
export interface ReplicaPort {
  postMessage(m: FromReplica): void;
  on(event: 'message', listener: (m: ToReplica) => void): unknown;
}

/**
 * onAbort: called after this replica's wasm module aborted and the leader was told (kind 'aborted'); the module
 * must not be called again, so the worker entry ends the thread there.
 */
export function serveReplica(
  port: ReplicaPort,
  onAbort: () => void,
  build: BuildReplica = buildMlmReplica,
): void {
  let trainee: ReplicaTrainee | undefined;
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
      trainee = build(msg.model, msg.seed);
      checkLayout(trainee.model, msg.layout);
      if (msg.frozen) {
        checkLayout(trainee.model, msg.frozen.layout);
        writeWeights(trainee.model, msg.frozen.layout, new Float32Array(msg.frozen.weights));
      }
      layout = msg.layout;
      weights = new Float32Array(msg.weights);
      grads = new Float32Array(msg.grads);
      send({ type: 'ready' });
      return;
    }
    if (!trainee || !layout || !weights || !grads) throw new Error('replica got a step before init');
    writeWeights(trainee.model, layout, weights);
    if (msg.rngState !== null) trainee.model.setRngState?.(msg.rngState);
    const r = shareGradients(trainee.source, layout, msg.parts, grads);
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
