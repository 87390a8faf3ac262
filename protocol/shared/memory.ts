/**
 * The memory estimate of a training run (server/ml/train/memory.ts computes it), named once for the trainer,
 * the CLI, `mlm doctor`, the server's status and the dashboard. Byte counts; one "heap" is the memory a
 * replica's compute backend can address (a wasm module's 4 GiB), `null` where the backend has no fixed one.
 */
export interface MemoryEstimate {
  /** Trainable parameters. */
  parameters: number;
  /** Weights of one model copy (float32). */
  weightsBytes: number;
  /** Gradients of one copy. */
  gradientsBytes: number;
  /** AdamW's two moments (the leader only). */
  optimizerBytes: number;
  /** Backprop's temporaries that do not grow with the batch (measured: ~1.65 × the weights). */
  backpropBytes: number;
  /** Activations kept for the backward pass, per batch row (grows with seqLen and the model's depth/width). */
  activationsPerRowBytes: number;
  /** Rows one forward/backward pass holds at once (micro-batch ÷ replicas ÷ chunks). */
  rowsPerPass: number;
  /** Passes each replica accumulates per micro-batch (1 = none; doubled by each out-of-memory back-off). */
  chunks: number;
  /** Replicas (1 = no data parallelism). */
  replicas: number;
  /** The leader's peak (weights, moments, backprop, activations of rowsPerPass rows). */
  leaderBytes: number;
  /** A worker replica's peak (no optimizer state); 0 with one replica. */
  replicaBytes: number;
  /**
   * The process at its peak: every heap with its fragmentation, the shared buffers between replicas, a
   * checkpoint's JavaScript copies of the weights and AdamW, and the runtime (what RSS shows).
   */
  totalBytes: number;
  /** The most one heap may hold (the wasm ceiling less a reserve for fragmentation), or null (native). */
  heapLimitBytes: number | null;
  /** The machine's physical memory. */
  machineBytes: number;
  /** True when every heap and the machine can hold the run. */
  fits: boolean;
  /** One line: the figures and, when it was changed to fit or does not fit, what changed or what to change. */
  summary: string;
}
