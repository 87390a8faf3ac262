/** Messages between the training leader and its replica worker threads (gradients travel in shared memory). */
import type { ModelConfig } from '../../types';
import type { ParamLayout } from './layout';
import type { SharePart } from './split';

export type ReplicaBackend = 'wasm' | 'cpu';

export type ToReplica =
  | {
      type: 'init';
      backend: ReplicaBackend;
      config: ModelConfig;
      seed: number;
      layout: ParamLayout;
      /** Float32 [layout.size]: the leader's weights, written before every step. */
      weights: SharedArrayBuffer;
      /** Float32 [layout.size]: this replica's weighted gradient sum (its all-reduce slot). */
      grads: SharedArrayBuffer;
    }
  | { type: 'step'; parts: SharePart[]; rngState: number | null };

export type FromReplica =
  | { type: 'ready' }
  | { type: 'done'; lossSum: number; correct: number; numTensors: number }
  /** kind: 'out-of-memory' = an allocation failed, the replica is intact; 'aborted' = its wasm module died. */
  | { type: 'error'; message: string; kind?: 'out-of-memory' | 'aborted' };
