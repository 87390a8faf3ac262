/**
 * Contracts between the parts of the ML core (server/ml). Each part implements its side; nothing here
 * knows about JSON-RPC or VS Code. Shapes are given as [dims] in comments.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { MaskPrediction } from '../../protocol/shared/fillMask';
import type { MemoryEstimate } from '../../protocol/shared/memory';
import type { MetricRecord } from '../../protocol/shared/metrics';
import type { TrainPhase } from '../../protocol/shared/runState';

// Defined once in protocol/shared (the type-only part of the protocol the ML core may import).
export type { MetricRecord, TrainPhase };
/** One candidate for one [MASK] of a fill-mask query. */
export type FillMaskResult = MaskPrediction;

// ── Corpus ──────────────────────────────────────────────────────────────────────────────────────────

/** One text document of the corpus, decoded and normalised (BOM stripped, CRLF → LF). */
export interface CorpusDocument {
  /** Stable id: relative path + content hash. */
  id: string;
  /** Absolute path. */
  path: string;
  text: string;
}

// ── Tokenizer ───────────────────────────────────────────────────────────────────────────────────────

export interface SpecialTokenIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) UTF-16 offsets into the original text per token; special tokens get [0, 0]. */
  offsets: Array<[number, number]>;
  /** Index of the pre-tokenized word each token belongs to; null for special tokens. */
  wordIds: Array<number | null>;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  /** The mask token's text, normally "[MASK]". */
  readonly maskToken: string;
  readonly lowercase: boolean;
  idToToken(id: number): string;
  /**
   * How the token reads in text, in the WordPiece convention of the editor (protocol/shared/wordpiece.ts): a
   * whole word as is, a piece that continues the word before it as "##piece" (RoBERTa's "Ġsun" → "sun", "ing" →
   * "##ing").
   */
  displayToken(id: number): string;
  tokenToId(token: string): number | undefined;
  /** addSpecialTokens (default true) wraps the ids as [CLS] … [SEP]. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): Encoding;
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Writes dir/tokenizer.json (Hugging Face format) and dir/vocab.txt. */
  save(dir: string): Promise<void>;
}

// ── Model ───────────────────────────────────────────────────────────────────────────────────────────

/** BERT hyper-parameters, named like Hugging Face's BertConfig (camelCase here, snake_case on export). */
export interface BertConfig {
  arch: 'bert';
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  layerNormEps: number;
  initializerRange: number;
}

/** The classic recurrent MLM: embedding → bidirectional GRU → dense softmax over the vocabulary. */
export interface BigruConfig {
  arch: 'bigru';
  vocabSize: number;
  embeddingDim: number;
  gruUnits: number;
  maxPositionEmbeddings: number;
  dropout: number;
  initializerRange: number;
}

export type ModelConfig = BertConfig | BigruConfig;

/** One training or evaluation batch, already masked. Flat row-major arrays. */
export interface MlmBatch {
  batchSize: number;
  seqLen: number;
  /** [batchSize * seqLen] model input (with [MASK] / random / kept tokens at target positions). */
  inputIds: Int32Array;
  /** [batchSize * seqLen] 1 = real token, 0 = padding. */
  attentionMask: Int32Array;
  /** [numTargets] flat indices b * seqLen + t of the prediction targets. */
  maskedPositions: Int32Array;
  /** [numTargets] the original token ids at those positions. */
  labels: Int32Array;
}

/** A weight in the Hugging Face layout (Linear weights [out, in]), used by checkpoints and import/export. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface MlmModel {
  readonly config: ModelConfig;
  /** Trainable variables by Hugging Face parameter name (tfjs-native layout; see toHfState for HF shapes). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /**
   * Mean cross-entropy over the batch's targets and the target logits [numTargets, vocabSize].
   * Logits are computed only at the masked positions. Pure: call inside tf.tidy / optimizer.minimize.
   */
  loss(batch: MlmBatch, training: boolean): { loss: tf.Scalar; logits: tf.Tensor2D };
  /** Inference logits [positions.length, vocabSize] at flat positions b * seqLen + t (no dropout). */
  logitsAt(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    batchSize: number,
    seqLen: number,
    positions: Int32Array,
  ): tf.Tensor2D;
  /** Weights keyed by Hugging Face names in Hugging Face shapes (copies). */
  toHfState(): Map<string, NamedTensor>;
  /** Assigns weights given in Hugging Face names and shapes; throws naming the first missing/mismatched one. */
  loadHfState(state: ReadonlyMap<string, NamedTensor>, opts?: { allowMissing?: string[] }): void;
  dispose(): void;
  /** Position of the seeded dropout stream (save it with a checkpoint for an exact resume). */
  getRngState?(): number;
  /** Restores the dropout stream saved by getRngState. */
  setRngState?(state: number): void;
}

// ── Training ────────────────────────────────────────────────────────────────────────────────────────

export interface CheckpointInfo {
  step: number;
  dir: string;
  best: boolean;
}

export interface TrainCallbacks {
  onPhase?(phase: TrainPhase, detail?: string): void;
  /** Long preparation work (corpus reading, tokenizer training): fraction in [0, 1] when known. */
  onProgress?(p: { message: string; fraction?: number }): void;
  onMetrics?(m: MetricRecord): void;
  onCheckpoint?(c: CheckpointInfo): void;
  onLog?(level: 'info' | 'warn' | 'error', message: string): void;
  /** The run's memory estimate, once, before the first step (train/memory.ts). */
  onMemory?(estimate: MemoryEstimate): void;
}

/** How the caller steers a running training: stop (abort) and pause/resume. */
export interface TrainControl {
  signal?: AbortSignal;
  /** Resolves immediately when not paused; otherwise when resumed (or aborted). */
  waitIfPaused?(): Promise<void>;
  /** True while paused: the trainer then reports the 'paused' phase before waiting and 'training' after. */
  isPaused?(): boolean;
  /**
   * Pauses the run from inside (a full disk): waitIfPaused then waits until the caller resumes it. Without it a
   * full disk stops the run with an error instead.
   */
  pause?(): void;
  /**
   * Set with the abort when the backend shuts down: the time (Date.now() ms) by which the trainer must have ended. The
   * run then stops as 'shutdown' without a final evaluation, and writes a final checkpoint only when one can finish
   * before it (else the last complete checkpoint is the one a resume starts from).
   */
  shutdownDeadline?(): number | undefined;
}
