/**
 * Data-parallel training (training.dataParallel): resolveDataParallel turns the setting ("auto" or N) into a
 * replica count for this run; startDataParallel starts the replica pool, or returns null when it is off or
 * the backend cannot use it. See pool.ts for how a step works. The replica threads come from the caller's
 * SpawnReplica (server/worker/replicas.ts): the ML core starts no threads and knows no bundle paths.
 */
import os from 'node:os';
import { getBackendInfo } from '../../backend';
import type { MlmBatch, MlmModel, TrainCallbacks } from '../../types';
import type { ReplicaGroup } from '../objective';
import type { SpawnReplica } from './messages';
import { ReplicaPool, type LeaderModel, type ReplicaTask } from './pool';
import type { RowBatch } from './split';

export { ReplicaPool, type LeaderModel, type ReplicaTask } from './pool';
export type { ReplicaThread, SpawnReplica } from './messages';
export { trainingThreads } from './threads';

/** "auto" uses at most this many replicas (measured: 2 on our 2-core machines; more is untested). */
export const AUTO_MAX_REPLICAS = 4;
/** "auto" gives each replica at least this many rows of a batch. */
export const AUTO_MIN_ROWS = 4;
/**
 * "auto" stays on one thread below this work per step (train/flops.ts: the model's training FLOPs per token × tokens):
 * a step of a few milliseconds gains nothing from replicas that must meet twice per step.
 */
export const AUTO_MIN_STEP_FLOPS = 1e9;

export interface DataParallelContext {
  /** The backend in use: data parallelism is for wasm and cpu (native backends use every core already). */
  backend: string;
  /** Threads of the leader's backend (the threaded wasm binary); "auto" needs 1. */
  threads: number;
  /** Cores available to this process. */
  cores: number;
  /** Rows of each micro-batch. */
  batchSize: number;
  /** Estimated FLOPs of one micro-batch's forward and backward pass. */
  stepFlops: number;
}

/** How many replicas a run uses, and why (for the log). */
export function resolveDataParallel(
  setting: number | 'auto',
  ctx: DataParallelContext,
): { replicas: number; why: string } {
  if (setting !== 'auto') return { replicas: setting, why: `training.dataParallel ${setting}` };
  const off = (why: string) => ({ replicas: 1, why: `training.dataParallel "auto": one thread (${why})` });
  if (ctx.backend !== 'wasm' && ctx.backend !== 'cpu')
    return off(
      ctx.backend === 'webgpu' ? 'one GPU: one replica' : `the ${ctx.backend} backend uses every core itself`,
    );
  if (ctx.threads > 1) return off(`the backend runs ${ctx.threads} threads, as "threads" asks`);
  if (ctx.cores < 2) return off('one core');
  const replicas = Math.min(ctx.cores, AUTO_MAX_REPLICAS, Math.floor(ctx.batchSize / AUTO_MIN_ROWS));
  if (replicas < 2) return off(`batchSize ${ctx.batchSize} is too small to split`);
  if (ctx.stepFlops < AUTO_MIN_STEP_FLOPS)
    return off(`the model is small: ~${(ctx.stepFlops / 1e6).toFixed(0)} MFLOP per step`);
  return { replicas, why: `training.dataParallel "auto": ${ctx.cores} cores` };
}

/** resolveDataParallel for this process's backend and cores. */
export function plannedReplicas(
  training: { dataParallel?: number | 'auto'; batchSize: number },
  stepFlops: number,
  /** The leader's wasm threads, when not those of the backend already started (mlm doctor). */
  threads?: number,
): { replicas: number; why: string } {
  const backend = getBackendInfo();
  return resolveDataParallel(training.dataParallel ?? 1, {
    backend: backend?.name ?? 'none',
    threads: threads ?? backend?.threads ?? 1,
    cores: os.availableParallelism(),
    batchSize: training.batchSize,
    stepFlops,
  });
}

export interface DataParallelStart {
  /** Starts one replica thread; without it data parallel is off ("auto") or an error (N > 1). */
  spawn?: SpawnReplica;
  /** FLOPs of one micro-batch's forward and backward pass (train/flops.ts per token × its tokens). */
  stepFlops: number;
  onLog?: TrainCallbacks['onLog'];
  /** At most this many replicas (the memory plan's: train/memory.ts). */
  maxReplicas?: number;
}

export async function startDataParallel(
  model: MlmModel,
  training: { dataParallel?: number | 'auto'; seed: number; batchSize: number },
  ctx: DataParallelStart,
): Promise<ReplicaPool | null>;
/** A model other than pretraining's (a fine-tune's task model): `task` says what the replicas build and train. */
export async function startDataParallel<B extends RowBatch>(
  model: LeaderModel,
  training: { dataParallel?: number | 'auto'; seed: number; batchSize: number },
  ctx: DataParallelStart,
  task: ReplicaTask<B>,
): Promise<ReplicaPool<B> | null>;
export async function startDataParallel<B extends RowBatch = MlmBatch>(
  model: LeaderModel,
  training: { dataParallel?: number | 'auto'; seed: number; batchSize: number },
  ctx: DataParallelStart,
  task?: ReplicaTask<B>,
): Promise<ReplicaPool<B> | null> {
  const { spawn, stepFlops, onLog } = ctx;
  const backend = getBackendInfo();
  const planned = plannedReplicas(training, stepFlops);
  const replicas = Math.min(planned.replicas, ctx.maxReplicas ?? Infinity);
  if (training.dataParallel === 'auto') onLog?.('info', planned.why);
  if (replicas <= 1) return null;
  if (!backend || (backend.name !== 'wasm' && backend.name !== 'cpu')) {
    onLog?.(
      'info',
      `training.dataParallel ${replicas} ignored: data parallelism is for the wasm and cpu backends (this run uses ${backend?.name ?? 'no backend'}, which ${backend?.name === 'webgpu' ? 'runs on one GPU' : 'already uses every core'})`,
    );
    return null;
  }
  if ((backend.threads ?? 1) > 1) {
    onLog?.(
      'warn',
      `data parallel with ${backend.threads} wasm threads on the leader oversubscribes the cores: set threads to 1`,
    );
  }
  if (!spawn) {
    const why = 'this caller cannot start replica threads (no replica factory was given)';
    if (training.dataParallel === 'auto') {
      onLog?.('info', `training.dataParallel "auto": one thread (${why})`);
      return null;
    }
    throw new Error(`training.dataParallel ${replicas}: ${why}; set training.dataParallel to 1`);
  }
  let pool: ReplicaPool<B>;
  try {
    const opts = { replicas, backend: backend.name, seed: training.seed, spawn };
    pool = task
      ? await ReplicaPool.start(model, { ...opts, task })
      : ((await ReplicaPool.start(model as MlmModel, opts)) as unknown as ReplicaPool<B>);
  } catch (err) {
    if (training.dataParallel !== 'auto') throw err;
    // "auto" was not asked for explicitly: train on this thread rather than fail the run.
    onLog?.('warn', `${(err as Error).message}; training on one thread instead`);
    return null;
  }
  onLog?.(
    'info',
    `data parallel: ${replicas} replicas (this thread + ${replicas - 1} worker thread${replicas > 2 ? 's' : ''}), gradients summed in shared memory`,
  );
  return pool;
}

/** A started pool as the training loop's ReplicaGroup: steps of `model` (the pool's leader). */
export function replicaGroup<B extends RowBatch>(pool: ReplicaPool<B>, model: LeaderModel): ReplicaGroup<B> {
  return {
    replicas: pool.replicas,
    step: (optimizer, batches, opts) => pool.step(model, optimizer, batches, opts),
    close: () => pool.close(),
  };
}
