/**
 * Training memory: the estimate of a run's peak before it starts, the plan that makes it fit (rows per pass,
 * replicas), the refusal when it cannot, and the back-off when an allocation fails anyway.
 *
 * Measured on tfjs-backend-wasm 4.22 (docs/compute.md, "Memory"): a step holds the weights W (4 bytes per
 * parameter), AdamW's moments 2W (leader only), backprop temporaries that do not grow with the batch
 * (~1.65 W + 6 MiB, the gradients included) and activations per batch row of ~104 floats per layer, token
 * and hidden unit plus the MLM head's logits. A wasm heap ends at 4 GiB and its allocator fragments (the heap
 * grew to 1.25 × the live tensor bytes at base's peak), so a plan keeps every heap's live bytes under
 * (4 GiB − reserve) / 1.25.
 *
 * Gradient accumulation ("chunks"): each replica's rows of a micro-batch run as `chunks` passes of fewer
 * rows whose gradients are summed with their target-count weights, so the step's gradient, loss and curve
 * are those of the full micro-batch (train/parallel/split.ts splitStep), only its peak is smaller.
 *
 * Over 300 lines: the estimate, the plan, the refusal and the back-off read the same calibration constants and
 * must change together when a measurement changes; split along them they would drift.
 */
import os from 'node:os';
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import type { MemoryEstimate } from '../../../protocol/shared/memory';
import { formatMemorySize } from '../../../protocol/shared/units';
import { getBackendInfo } from '../backend';
import {
  isWasmAbort,
  WASM_HEAP_RESERVE_BYTES,
  wasmHeapLimit,
  WasmOutOfMemoryError,
} from '../backend/wasmHeap';
import { trainFlopsPerToken } from './flops';
import { plannedReplicas } from './parallel';
import type { ModelConfig, TrainCallbacks } from '../types';
import type { StepResult } from './step';
import type { ComputeFailure } from './summary';

/** The measured coefficients (test/bench/trainingMemory.ts re-measures them; docs/compute.md has the figures). */
export const MEMORY_CALIBRATION = {
  /** Backprop temporaries that do not grow with the batch, per byte of weights (gradients included). */
  backpropPerWeightByte: 1.65,
  backpropFixedBytes: 6 * 2 ** 20,
  /** float32 activations kept per layer, token and hidden unit (BERT; the presets' FFN is 4 × hidden). */
  activationFloatsPerLayerTokenHidden: 104,
  /** Copies of the [targets, vocab] logits the MLM head's forward and backward hold. */
  headLogitCopies: 8,
  /** The wasm heap's size over its live tensor bytes at the peak (allocator fragmentation). */
  heapFragmentation: 1.25,
  /** Share of the machine's memory a run may plan to use. */
  machineShare: 0.8,
  /** The process besides the heaps: Node, tfjs, corpus and examples, plus this much per replica thread. */
  runtimeBytes: 512 * 2 ** 20,
  runtimePerReplicaBytes: 128 * 2 ** 20,
} as const;

/** Trainable parameters of a model config (the model's own variables; test/unit/train/memory.test.ts checks). */
export function parameterCount(c: ModelConfig): number {
  if (c.arch === 'bigru') {
    const { vocabSize: v, embeddingDim: e, gruUnits: u } = c;
    return v * e + 2 * (3 * u * e + 3 * u * u + 6 * u) + 2 * u * v + v;
  }
  const { vocabSize: v, hiddenSize: h, intermediateSize: f } = c;
  const layer = 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h) + 2 * h;
  const embeddings = (v + c.maxPositionEmbeddings + c.typeVocabSize) * h + 2 * h;
  const head = h * h + h + 2 * h + v;
  return embeddings + c.numHiddenLayers * layer + head;
}

/** Activation bytes one batch row holds for the backward pass. */
export function activationsPerRow(c: ModelConfig, seqLen: number, targetFraction: number): number {
  const k = MEMORY_CALIBRATION.activationFloatsPerLayerTokenHidden;
  // BiGRU: one "layer" of 2 directions × 3 gates × units per token (an approximation; calibrated on BERT).
  const perToken = c.arch === 'bert' ? c.numHiddenLayers * c.hiddenSize : 6 * c.gruUnits;
  const logits = MEMORY_CALIBRATION.headLogitCopies * Math.ceil(seqLen * targetFraction) * c.vocabSize;
  return 4 * (k * perToken * seqLen + logits);
}

export interface MemoryPlanInput {
  model: ModelConfig;
  seqLen: number;
  /** Fraction of tokens that are prediction targets (data.masking.probability). */
  targetFraction: number;
  /** Rows of one micro-batch (training.batchSize). */
  batchSize: number;
  /** Replicas the run would use (train/parallel resolveDataParallel). */
  replicas: number;
  /** The backend that runs: "wasm" has a heap ceiling; the others only the machine's memory. */
  backend: string;
  /** wasm: the heap ceiling in force (backend/wasmHeap.ts wasmHeapLimit()). */
  heapLimitBytes: number;
  /** Physical memory; default os.totalmem(). */
  machineBytes?: number;
  /** Passes per micro-batch to start from (1, or a previous back-off's). */
  chunks?: number;
}

/** The estimate for exactly this many replicas and chunks. */
export function estimateTrainingMemory(i: MemoryPlanInput & { chunks: number }): MemoryEstimate {
  const cal = MEMORY_CALIBRATION;
  const parameters = parameterCount(i.model);
  const weightsBytes = 4 * parameters;
  const optimizerBytes = 2 * weightsBytes;
  const backpropBytes = Math.round(cal.backpropPerWeightByte * weightsBytes + cal.backpropFixedBytes);
  const perRow = activationsPerRow(i.model, i.seqLen, i.targetFraction);
  const rowsPerReplica = Math.ceil(i.batchSize / i.replicas);
  const rowsPerPass = Math.max(1, Math.ceil(rowsPerReplica / i.chunks));
  // Accumulating over passes keeps a running sum of the gradients beside the pass's own.
  const accumulator = i.chunks > 1 ? weightsBytes : 0;
  const step = backpropBytes + accumulator + rowsPerPass * perRow;
  const leaderBytes = weightsBytes + optimizerBytes + step;
  const replicaBytes = i.replicas > 1 ? weightsBytes + step : 0;
  // Data parallel: shared weights, one gradient slot per worker and the leader's sum, outside the heaps.
  const shared = i.replicas > 1 ? (i.replicas + 1) * weightsBytes : 0;
  // The process: every heap as it grows (fragmentation), the shared buffers, a checkpoint's copies of the
  // weights and AdamW in JavaScript while it is written, and the runtime (measured: base, 2 replicas, 9.8 GiB).
  const totalBytes = Math.round(
    cal.heapFragmentation * (leaderBytes + (i.replicas - 1) * replicaBytes) +
      shared +
      weightsBytes +
      optimizerBytes +
      cal.runtimeBytes +
      i.replicas * cal.runtimePerReplicaBytes,
  );
  const heapLimitBytes =
    i.backend === 'wasm'
      ? Math.floor((i.heapLimitBytes - WASM_HEAP_RESERVE_BYTES) / cal.heapFragmentation)
      : null;
  const machineBytes = i.machineBytes ?? os.totalmem();
  const heapFits = heapLimitBytes === null || Math.max(leaderBytes, replicaBytes) <= heapLimitBytes;
  const fits = heapFits && totalBytes <= cal.machineShare * machineBytes;
  const estimate: MemoryEstimate = {
    parameters,
    weightsBytes,
    gradientsBytes: weightsBytes,
    optimizerBytes,
    backpropBytes,
    activationsPerRowBytes: perRow,
    rowsPerPass,
    chunks: i.chunks,
    replicas: i.replicas,
    leaderBytes,
    replicaBytes,
    totalBytes,
    heapLimitBytes,
    machineBytes,
    fits,
    summary: '',
  };
  estimate.summary = describeEstimate(estimate, i);
  return estimate;
}

function describeEstimate(e: MemoryEstimate, i: MemoryPlanInput): string {
  const f = formatMemorySize;
  const heap = e.heapLimitBytes === null ? '' : ` of a ${f(e.heapLimitBytes)} usable wasm heap`;
  return (
    `memory: ${(e.parameters / 1e6).toFixed(1)} M parameters: weights ${f(e.weightsBytes)}, gradients ` +
    `${f(e.gradientsBytes)}, AdamW ${f(e.optimizerBytes)}, backprop ${f(e.backpropBytes)}, activations ` +
    `${f(e.activationsPerRowBytes)} per row (seqLen ${i.seqLen}); ${e.replicas} replica${e.replicas > 1 ? 's' : ''} × ` +
    `${e.rowsPerPass} row${e.rowsPerPass > 1 ? 's' : ''} per pass × ${e.chunks} pass${e.chunks > 1 ? 'es' : ''}: ` +
    `leader ${f(e.leaderBytes)}${e.replicas > 1 ? `, each replica ${f(e.replicaBytes)}` : ''}${heap}; ` +
    `${f(e.totalBytes)} in all of ${f(e.machineBytes)}`
  );
}

export interface MemoryPlan {
  estimate: MemoryEstimate;
  /** What the plan was made for (a back-off re-estimates from it with more passes). */
  input: MemoryPlanInput;
  /** Replicas to use (at most the input's: fewer when the machine cannot hold them all). */
  replicas: number;
  chunks: number;
  /** What was changed to fit, for the log; undefined when the settings fit as given. */
  adjusted?: string;
}

/**
 * The plan for a run: the input's replicas and rows, with each replica's rows split into 2, 4, 8 … passes
 * until every heap holds its pass, and fewer replicas when the machine cannot hold them all. When even one
 * row per pass on one replica does not fit, the plan's estimate has fits = false (see memoryRefusal).
 */
export function planTrainingMemory(input: MemoryPlanInput): MemoryPlan {
  const rowsPerReplica = (replicas: number) => Math.ceil(input.batchSize / replicas);
  const fitChunks = (replicas: number): MemoryEstimate => {
    let chunks = Math.max(1, input.chunks ?? 1);
    for (;;) {
      const e = estimateTrainingMemory({ ...input, replicas, chunks });
      if (e.fits || e.rowsPerPass <= 1) return e;
      chunks = Math.min(chunks * 2, rowsPerReplica(replicas));
    }
  };
  let estimate = fitChunks(input.replicas);
  let replicas = input.replicas;
  while (!estimate.fits && replicas > 1) {
    replicas--;
    estimate = fitChunks(replicas);
  }
  if (!estimate.fits) estimate = fitChunks(input.replicas);
  const changes: string[] = [];
  if (estimate.replicas !== input.replicas)
    changes.push(
      `${estimate.replicas} replica${estimate.replicas > 1 ? 's' : ''} instead of ${input.replicas}`,
    );
  if (estimate.chunks > (input.chunks ?? 1))
    changes.push(
      `micro-batch of ${estimate.rowsPerPass} rows per pass with ${estimate.chunks}× gradient accumulation ` +
        `instead of ${rowsPerReplica(estimate.replicas)} rows (same effective batch and loss curve)`,
    );
  return {
    estimate,
    input,
    replicas: estimate.replicas,
    chunks: estimate.chunks,
    adjusted: estimate.fits && changes.length ? `to fit in memory: ${changes.join('; ')}` : undefined,
  };
}

/**
 * The plan of a run config with this model on the backend this process started (data parallelism as the
 * run would resolve it): what the trainer, `mlm doctor` and the CLI show before training.
 */
export function planRunMemory(
  config: ResolvedRunConfig,
  model: ModelConfig,
  /** The leader's wasm threads a run of this config would use, when the started backend's differ. */
  threads?: number,
): MemoryPlan {
  const t = config.training;
  const targetFraction = config.data.masking.probability;
  const backend = getBackendInfo()?.name ?? 'wasm';
  const stepFlops =
    trainFlopsPerToken(model, { seqLen: config.data.seqLen, targetFraction }) *
    t.batchSize *
    config.data.seqLen;
  return planTrainingMemory({
    model,
    seqLen: config.data.seqLen,
    targetFraction,
    batchSize: t.batchSize,
    replicas: backend === 'wasm' || backend === 'cpu' ? plannedReplicas(t, stepFlops, threads).replicas : 1,
    backend,
    heapLimitBytes: wasmHeapLimit(),
  });
}

/** A run that cannot fit, or a step that ran out of memory even at one row per pass. */
export class OutOfMemoryError extends Error {
  readonly kind = 'out-of-memory' as const;
  constructor(
    message: string,
    readonly estimate?: MemoryEstimate,
  ) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

/** The refusal of a config that cannot fit: the numbers and the settings that would make it fit. */
export function memoryRefusal(
  e: MemoryEstimate,
  where: { preset?: string; seqLen: number },
): OutOfMemoryError {
  const f = formatMemorySize;
  const heap = e.heapLimitBytes !== null && Math.max(e.leaderBytes, e.replicaBytes) > e.heapLimitBytes;
  const limit = heap
    ? `the WebAssembly heap holds at most ${f(e.heapLimitBytes!)} (4 GiB less fragmentation and a reserve)`
    : `this machine has ${f(e.machineBytes)}`;
  return new OutOfMemoryError(
    `this run does not fit in memory even at 1 row per pass: it needs ${f(e.leaderBytes)} on the leader ` +
      `(weights ${f(e.weightsBytes)} + AdamW ${f(e.optimizerBytes)} + backprop ${f(e.backpropBytes)} + ` +
      `${f(e.activationsPerRowBytes)} of activations per row) and ${f(e.totalBytes)} in all, but ${limit}. ` +
      `Lower data.seqLen (now ${where.seqLen}), pick a smaller model.preset${where.preset ? ` (now ${where.preset})` : ''} ` +
      'or tokenizer.vocabSize, set training.dataParallel to 1, or use a backend without the 4 GiB ceiling ' +
      '(backend "tensorflow"/"cuda" with @tensorflow/tfjs-node(-gpu)).',
    e,
  );
}

/** True for an allocation failure any backend reports (wasm guard, a replica's, tfjs-node's, WebGPU's). */
export function isOutOfMemory(err: unknown): boolean {
  if (err instanceof WasmOutOfMemoryError) return true;
  if ((err as { kind?: unknown } | null)?.kind === 'out-of-memory') return !(err instanceof OutOfMemoryError);
  return err instanceof Error && /out of memory|OOM when allocating|resource exhausted/i.test(err.message);
}

/**
 * Runs a step and, when it runs out of memory, halves the rows per pass (doubling the passes: the same
 * effective batch, loss and curve) and runs it again, down to one row; then fails with OutOfMemoryError.
 */
export class MemoryBackoff {
  constructor(
    public chunks: number,
    /** Rows of a micro-batch each replica gets. */
    private readonly rowsPerReplica: number,
    private readonly onLog?: TrainCallbacks['onLog'],
    /** Called after each back-off with the new number of passes (the loop re-sends the estimate). */
    private readonly onBackoff?: (chunks: number) => void,
  ) {}

  get rowsPerPass(): number {
    return Math.max(1, Math.ceil(this.rowsPerReplica / this.chunks));
  }

  async run(step: (chunks: number) => StepResult | Promise<StepResult>): Promise<StepResult> {
    for (;;) {
      try {
        return await step(this.chunks);
      } catch (err) {
        if (!isOutOfMemory(err)) throw err;
        const rows = this.rowsPerPass;
        if (rows <= 1) {
          throw new OutOfMemoryError(
            `out of memory even at 1 row per pass (${(err as Error).message}): lower data.seqLen, pick a smaller ` +
              'model.preset, or set training.dataParallel to 1',
          );
        }
        this.chunks = Math.min(this.chunks * 2, this.rowsPerReplica);
        this.onLog?.(
          'warn',
          `out of memory at ${rows} rows per pass (${(err as Error).message}): micro-batch halved to ` +
            `${this.rowsPerPass} rows, gradient accumulation doubled to ${this.chunks} passes — the effective ` +
            'batch and the loss curve stay the same',
        );
        this.onBackoff?.(this.chunks);
      }
    }
  }
}

/** The message a run ends with when the compute backend failed: its cause and what to do. */
export function describeComputeFailure(err: unknown, estimate?: MemoryEstimate): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!isWasmAbort(err)) return message;
  const abort = `the WebAssembly backend aborted ("${message.split('.')[0]}") and the run ended; its last checkpoint is intact`;
  const limit = estimate?.heapLimitBytes;
  if (estimate && limit && Math.max(estimate.leaderBytes, estimate.replicaBytes) < 0.75 * limit) {
    return (
      `${abort}. By the memory estimate (leader ${formatMemorySize(estimate.leaderBytes)} of a ${formatMemorySize(limit)} usable heap) ` +
      'the heap was not full: report it with the log (mlm doctor prints the setup), and resume the run with mlm train --resume.'
    );
  }
  const need = estimate
    ? ` (estimate: leader ${formatMemorySize(estimate.leaderBytes)} of a ${formatMemorySize(limit ?? 0)} usable heap)`
    : '';
  return (
    `${abort}: most likely its 4 GiB heap ran out inside a kernel${need}. Lower training.batchSize or data.seqLen, ` +
    'or pick a smaller model.preset, then resume with mlm train --resume.'
  );
}

/** The kind of compute failure an error is, if any (RunSummary.failure). */
export function computeFailureOf(err: unknown): ComputeFailure | undefined {
  if (isWasmAbort(err)) return 'wasm-abort';
  if (err instanceof OutOfMemoryError || isOutOfMemory(err)) return 'out-of-memory';
  return undefined;
}
