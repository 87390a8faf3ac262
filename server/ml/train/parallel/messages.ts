/** Messages between the training leader and its replica worker threads (gradients travel in shared memory). */
import type { ModelConfig } from '../../types';
import type { ParamLayout } from './layout';
import type { RowBatch, SharePart } from './split';

export type ReplicaBackend = 'wasm' | 'cpu';

/**
 * What a replica builds: the leader's model kind and config, and what that kind needs beyond it (JSON: a task
 * model's head and class weights). The replica's entry (server/worker/replicaWorker.ts) maps each kind to a builder.
 */
export interface ReplicaModelSpec {
  kind: 'mlm' | 'task';
  config: ModelConfig;
  extra?: unknown;
}

export type ToReplica =
  | {
      type: 'init';
      backend: ReplicaBackend;
      model: ReplicaModelSpec;
      seed: number;
      layout: ParamLayout;
      /** Float32 [layout.size]: the leader's weights, written before every step. */
      weights: SharedArrayBuffer;
      /** Float32 [layout.size]: this replica's weighted gradient sum (its all-reduce slot). */
      grads: SharedArrayBuffer;
      /** The frozen (non-trainable) weights, written once: they never change and carry no gradient. */
      frozen: { layout: ParamLayout; weights: SharedArrayBuffer } | null;
    }
  | { type: 'step'; parts: SharePart<RowBatch>[]; rngState: number | null };

export type FromReplica =
  | { type: 'ready' }
  | { type: 'done'; lossSum: number; correct: number; numTensors: number }
  /** kind: 'out-of-memory' = an allocation failed, the replica is intact; 'aborted' = its wasm module died. */
  | { type: 'error'; message: string; kind?: 'out-of-memory' | 'aborted' };

/**
 * A started replica thread, as the pool uses it (node:worker_threads' Worker fits). The ML core never starts
 * threads itself: its caller (server/worker, the CLI, a test) hands it a SpawnReplica, as it hands it callbacks.
 */
export interface ReplicaThread {
  postMessage(m: ToReplica): void;
  on(event: 'message', listener: (m: FromReplica) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  /** Keep the process alive while a step waits on this thread (ref) or not (unref). */
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** Starts one replica thread running the replica entry (server/worker/replicaWorker.ts). */
export type SpawnReplica = () => ReplicaThread;
