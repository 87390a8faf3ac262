/**
 * Data-parallel training over worker threads. The leader (the thread that runs the training loop) is
 * replica 0; replicas 1..n-1 are worker threads with their own single-threaded tfjs. Per optimizer step:
 *   1. the leader writes its weights into a SharedArrayBuffer and posts each replica its rows of every
 *      micro-batch (and its dropout stream position);
 *   2. every replica, the leader included, computes Σ weight · ∇loss of its share (shareGradients) into
 *      its own slot of shared memory — the weights make the sum equal the full batch's mean gradient;
 *   3. the leader sums the slots in a fixed order (all-reduce), then applyUpdate as trainStep does:
 *      the NaN/Inf guard, global-norm clipping of the summed gradient, AdamW.
 * The replica threads come from the caller's SpawnReplica (this folder starts no threads itself).
 * Only the leader holds optimizer state and is checkpointed: the replicas are stateless gradient
 * calculators that re-read the weights each step (one memcpy of the parameters, cheaper in memory than
 * n copies of AdamW's moments and exact across resume, model.init and skipped steps by construction).
 * Dropout: replica r draws from the leader's stream position + r·2²⁷, so a seeded run is deterministic
 * (its masks differ from a single-thread run's; with dropout 0 the steps match it within float error).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch, MlmModel, ModelConfig } from '../../types';
import type { AdamW } from '../adamw';
import { mlmLoss, type LossSource } from '../step';
import { applyUpdate, type StepResult, type UpdateOptions } from '../update';
import { frozenLayout, paramLayout, readWeights, type ParamLayout, type VariableOwner } from './layout';
import type {
  FromReplica,
  ReplicaBackend,
  ReplicaModelSpec,
  ReplicaThread,
  SpawnReplica,
  ToReplica,
} from './messages';
import { shareGradients } from './shareGradients';
import { chunkParts, splitStep, type LossMass, type RowBatch } from './split';

/** Dropout stream offset between replicas (mixSeedPair works modulo 2³², so up to 32 replicas stay disjoint). */
export const REPLICA_RNG_STRIDE = 2 ** 27;

/** The leader's model as a pool sees it: its variables, config and dropout stream. */
export interface LeaderModel extends VariableOwner {
  readonly config: ModelConfig;
  getRngState?(): number;
}

/**
 * What the replicas train when it is not the masked-LM model of pretraining: the spec they build their model
 * from (server/worker/replicaWorker.ts maps its kind) and the leader's loss of the same model.
 */
export interface ReplicaTask<B extends RowBatch> {
  spec: ReplicaModelSpec;
  source: LossSource<B>;
}

export interface ReplicaPoolOptions<B extends RowBatch = MlmBatch> {
  /** Replicas including the leader (≥ 2). */
  replicas: number;
  /** The leader's backend; replicas run the same one, single-threaded. */
  backend: ReplicaBackend;
  seed: number;
  /** Starts one replica thread (server/worker/replicas.ts spawnReplica in the product). */
  spawn: SpawnReplica;
  /** Default: the leader is an MLM model trained with mlmLoss. */
  task?: ReplicaTask<B>;
}

/** Where the leader's time went in the last step (ms): for profiling and the bench. */
export interface StepTimings {
  /** Writing the weights into shared memory. */
  broadcast: number;
  /** The leader's own share. */
  share: number;
  /** Waiting for the replicas after the leader's share. */
  wait: number;
  /** Summing the slots and the norm (serial). */
  reduce: number;
  /** Clipping and AdamW (serial). */
  update: number;
}

interface Pending {
  resolve(m: FromReplica): void;
  reject(e: Error): void;
}

export class ReplicaPool<B extends RowBatch = MlmBatch> {
  /** Replica threads alive in this process (all pools); 0 once every pool is closed. */
  static liveThreads = 0;
  /** tf.memory().numTensors of each worker replica after its last step (a leak shows as growth). */
  readonly replicaTensors: number[];
  lastTimings: StepTimings = { broadcast: 0, share: 0, wait: 0, reduce: 0, update: 0 };
  private readonly pending: (Pending | undefined)[];
  /** Workers that have ended (an aborted replica exits): a request to one fails at once instead of waiting. */
  private readonly exited: boolean[];
  private readonly weights: Float32Array;
  private readonly slots: Float32Array[];
  private readonly sum: Float32Array;
  private closed = false;
  private readonly mass: LossMass<B>;

  private constructor(
    private readonly workers: ReplicaThread[],
    private readonly layout: ParamLayout,
    weights: SharedArrayBuffer,
    grads: SharedArrayBuffer[],
    private readonly source: LossSource<B>,
  ) {
    this.mass = (b) => source.lossMass?.(b) ?? source.batchTargets(b);
    this.pending = workers.map(() => undefined);
    this.exited = workers.map(() => false);
    this.replicaTensors = workers.map(() => 0);
    this.weights = new Float32Array(weights);
    this.slots = grads.map((g) => new Float32Array(g));
    this.sum = new Float32Array(layout.size);
    workers.forEach((w, i) => {
      w.on('message', (m: FromReplica) =>
        // kind travels so that the leader can tell an allocation failure (back off) from an abort (end).
        this.settle(
          i,
          m.type === 'error'
            ? Object.assign(new Error(`replica ${i + 1}: ${m.message}`), { kind: m.kind })
            : m,
        ),
      );
      w.on('error', (e) => this.settle(i, e));
      ReplicaPool.liveThreads++;
      w.on('exit', (code) => {
        ReplicaPool.liveThreads--;
        this.exited[i] = true;
        if (!this.closed) this.settle(i, new Error(`replica thread ${i + 1} exited with code ${code}`));
      });
      // Idle replicas must not keep the process alive; a step refs them while it waits.
      w.unref();
    });
  }

  /** Starts replicas 1..n-1 with the leader model's config and waits until each has its backend and model. */
  static async start(model: MlmModel, opts: ReplicaPoolOptions): Promise<ReplicaPool>;
  static async start<B extends RowBatch>(
    model: LeaderModel,
    opts: ReplicaPoolOptions<B> & { task: ReplicaTask<B> },
  ): Promise<ReplicaPool<B>>;
  static async start<B extends RowBatch>(
    model: LeaderModel,
    opts: ReplicaPoolOptions<B>,
  ): Promise<ReplicaPool<B>> {
    if (!Number.isInteger(opts.replicas) || opts.replicas < 2) {
      throw new Error(`data-parallel training needs at least 2 replicas, got ${opts.replicas}`);
    }
    const layout = paramLayout(model);
    const bytes = layout.size * Float32Array.BYTES_PER_ELEMENT;
    const weights = new SharedArrayBuffer(bytes);
    const grads = Array.from({ length: opts.replicas - 1 }, () => new SharedArrayBuffer(bytes));
    const fixed = frozenLayout(model);
    let frozen: { layout: ParamLayout; weights: SharedArrayBuffer } | null = null;
    if (fixed.size) {
      frozen = { layout: fixed, weights: new SharedArrayBuffer(fixed.size * Float32Array.BYTES_PER_ELEMENT) };
      readWeights(model, fixed, new Float32Array(frozen.weights));
    }
    const spec = opts.task?.spec ?? { kind: 'mlm', config: model.config };
    const source = opts.task?.source ?? (mlmLoss(model as MlmModel) as unknown as LossSource<B>);
    const workers = grads.map(() => opts.spawn());
    const pool = new ReplicaPool<B>(workers, layout, weights, grads, source);
    try {
      await Promise.all(
        workers.map((_, i) =>
          pool.request(i, {
            type: 'init',
            backend: opts.backend,
            model: spec,
            seed: opts.seed,
            layout,
            weights,
            grads: grads[i],
            frozen,
          }),
        ),
      );
    } catch (err) {
      await pool.close();
      throw new Error(
        `data-parallel replicas failed to start: ${(err as Error).message}; set training.dataParallel to 1 to train on one thread`,
      );
    }
    return pool;
  }

  get replicas(): number {
    return this.workers.length + 1;
  }

  /** One optimizer step over `batches`, equivalent to trainStep(model, optimizer, batches, opts). */
  async step(
    model: LeaderModel,
    optimizer: AdamW,
    batches: readonly B[],
    opts: UpdateOptions,
  ): Promise<StepResult> {
    if (this.closed) throw new Error('the data-parallel replicas were stopped: start a new pool');
    const targets = batches.reduce((s, b) => s + this.source.batchTargets(b), 0);
    // A micro-batch without targets has a NaN mean loss on one thread: skip the step the same way.
    if (batches.some((b) => this.mass(b) === 0)) {
      return { loss: NaN, accuracy: 0, gradNorm: NaN, applied: false, targets };
    }
    const t0 = performance.now();
    readWeights(model, this.layout, this.weights);
    const t1 = performance.now();
    const parts = splitStep(batches, this.replicas, this.mass).map((p) =>
      chunkParts(p, opts.chunks ?? 1, this.mass),
    );
    const rng = model.getRngState?.() ?? null;
    const replies = this.workers.map((_, i) =>
      this.request(i, {
        type: 'step',
        parts: parts[i + 1],
        rngState: rng === null ? null : rng + (i + 1) * REPLICA_RNG_STRIDE,
      }),
    );
    let lossSum: number;
    let correct: number;
    let t2 = t1;
    try {
      ({ lossSum, correct } = shareGradients(this.source, this.layout, parts[0], this.sum));
    } finally {
      t2 = performance.now();
      // Never leave a replica mid-step behind an exception.
      await Promise.allSettled(replies);
    }
    const t3 = performance.now();
    for (const [i, m] of (await Promise.all(replies)).entries()) {
      if (m.type !== 'done') throw new Error(`replica replied "${m.type}" to a step`);
      this.replicaTensors[i] = m.numTensors;
      lossSum += m.lossSum;
      correct += m.correct;
    }
    // All-reduce: sum the slots in a fixed order (deterministic), then the global norm in float64.
    const g = this.sum;
    for (const slot of this.slots) for (let j = 0; j < g.length; j++) g[j] += slot[j];
    let sq = 0;
    for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
    const measured = { loss: lossSum, gradNorm: Math.sqrt(sq), correct: targets ? correct : 0, targets };
    const t4 = performance.now();
    this.lastTimings = { broadcast: t1 - t0, share: t2 - t1, wait: t3 - t2, reduce: t4 - t3, update: 0 };
    const grads = new Map<string, tf.Tensor>();
    try {
      for (const s of this.layout.slots) {
        grads.set(s.name, tf.tensor(g.subarray(s.offset, s.offset + s.size), s.shape, 'float32'));
      }
      return applyUpdate(optimizer, grads, measured, opts);
    } finally {
      for (const t of grads.values()) t.dispose();
      this.lastTimings.update = performance.now() - t4;
    }
  }

  /** Stops every replica thread (idempotent); pending steps fail with a "stopped" error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.forEach((_, i) => this.settle(i, new Error('the data-parallel replicas were stopped')));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private request(i: number, msg: ToReplica): Promise<FromReplica> {
    if (this.pending[i]) throw new Error(`replica ${i + 1} is still busy with the previous request`);
    if (this.exited[i])
      return Promise.reject(new Error(`replica thread ${i + 1} has ended: start the run again (it resumes)`));
    const w = this.workers[i];
    return new Promise<FromReplica>((resolve, reject) => {
      this.pending[i] = { resolve, reject };
      w.ref();
      w.postMessage(msg);
    });
  }

  private settle(i: number, m: FromReplica | Error): void {
    const p = this.pending[i];
    if (!p) return;
    this.pending[i] = undefined;
    this.workers[i].unref();
    if (m instanceof Error) p.reject(m);
    else p.resolve(m);
  }
}
