/**
 * A short real training measurement for `mlm doctor --bench`: a few steps of the product's own trainStep +
 * AdamW on synthetic batches (random tokens, masked by the product's dynamic masking), timed after a warm-up
 * step, with the model FLOPs that implies (flops.ts). Seconds, not minutes: one small batch per step.
 */
import { maskBatch } from '../data/masking';
import type { Example } from '../data/examples';
import { SeededRng } from '../data/rng';
import { bertPreset, createModel } from '../model';
import type { MlmBatch, ModelConfig, SpecialTokenIds } from '../types';
import { AdamW } from './adamw';
import { trainFlopsPerToken } from './flops';
import { trainStep } from './step';

export type ThroughputModel = 'w1' | 'tiny';
export const THROUGHPUT_MODELS: readonly ThroughputModel[] = ['w1', 'tiny'];

/** The models the bench can train: W1 (benchmarks.md) and a small one for slow backends. */
export const THROUGHPUT_SETUPS: Readonly<
  Record<ThroughputModel, { label: string; config: ModelConfig; seqLen: number; batchSize: number }>
> = {
  w1: {
    label: 'W1 (BERT mini, vocab 8192, seq 128)',
    config: benchBert('mini', 8192, 128),
    seqLen: 128,
    batchSize: 8,
  },
  // The pure-JS cpu backend trains this at ~20 tokens/s: a 2-row batch keeps a step to seconds.
  tiny: {
    label: 'BERT tiny, vocab 2048, seq 64',
    config: benchBert('tiny', 2048, 64),
    seqLen: 64,
    batchSize: 2,
  },
};

function benchBert(preset: 'mini' | 'tiny', vocabSize: number, seqLen: number): ModelConfig {
  // W1 lists no dropout: the bench measures the step without it (as test/bench/w1.ts).
  return { ...bertPreset(preset, vocabSize, seqLen), hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };
}

export interface ThroughputOptions {
  config: ModelConfig;
  seqLen: number;
  batchSize: number;
  /** Timed steps after one warm-up step. */
  steps: number;
  /** Stop after the timed step that passes this much wall time (at least one step is timed). Default: none. */
  budgetMs?: number;
  /** Default 0.15, as W1. */
  targetFraction?: number;
  seed?: number;
}

export interface ThroughputResult {
  batchSize: number;
  seqLen: number;
  /** Timed steps run (fewer than asked when the budget ran out). */
  steps: number;
  /** Input tokens of the timed steps. */
  tokens: number;
  seconds: number;
  tokensPerSec: number;
  /** Input tokens per CPU-second of this process (all threads): robust to a busy machine. */
  tokensPerCpuSec: number;
  flopsPerToken: number;
  achievedGflops: number;
  /** Loss of the last step (finite: the step really trained). */
  loss: number;
}

const SPECIAL: SpecialTokenIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const FIRST_WORD_ID = 5;

/** `count` batches of random tokens ([CLS] … [SEP]), masked like training data. */
export function syntheticBatches(opts: {
  count: number;
  batchSize: number;
  seqLen: number;
  vocabSize: number;
  targetFraction: number;
  seed: number;
}): MlmBatch[] {
  const rng = new SeededRng(opts.seed);
  const out: MlmBatch[] = [];
  for (let c = 0; c < opts.count; c++) {
    const examples: Example[] = [];
    for (let b = 0; b < opts.batchSize; b++) {
      const ids = new Int32Array(opts.seqLen); // [seqLen]
      ids[0] = SPECIAL.cls;
      for (let t = 1; t < opts.seqLen - 1; t++)
        ids[t] = FIRST_WORD_ID + rng.int(opts.vocabSize - FIRST_WORD_ID);
      ids[opts.seqLen - 1] = SPECIAL.sep;
      examples.push({ ids, length: opts.seqLen, wordStart: new Uint8Array(opts.seqLen).fill(1) });
    }
    const masking = {
      probability: opts.targetFraction,
      maskFraction: 0.8,
      randomFraction: 0.1,
      wholeWord: false,
    };
    out.push(maskBatch(examples, rng, masking, { vocabSize: opts.vocabSize, special: SPECIAL }).batch);
  }
  return out;
}

/** Trains `steps` + 1 steps on the current backend; leak-free (the model and optimizer are disposed). */
export async function measureTrainThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const targetFraction = o.targetFraction ?? 0.15;
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error(`steps must be ≥ 1, got ${o.steps}`);
  const batches = syntheticBatches({
    count: o.steps + 1,
    batchSize: o.batchSize,
    seqLen: o.seqLen,
    vocabSize: o.config.vocabSize,
    targetFraction,
    seed: o.seed ?? 1234,
  });
  const model = createModel(o.config, { seed: o.seed ?? 1234 });
  const optimizer = new AdamW(model.variables, {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0.01,
  });
  try {
    // Reads the loss back (asynchronously: webgpu has no synchronous read), so each step has finished.
    const step = (b: MlmBatch) => trainStep(model, optimizer, [b], { lr: 1e-3, clipNorm: 1 });
    await step(batches[0]); // warm-up: kernels compiled, XNNPACK operators and optimizer moments created
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let loss = NaN;
    let steps = 0;
    for (const b of batches.slice(1)) {
      loss = (await step(b)).loss;
      steps++;
      if (performance.now() - t0 >= (o.budgetMs ?? Infinity)) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const tokens = steps * o.batchSize * o.seqLen;
    const flopsPerToken = trainFlopsPerToken(o.config, { seqLen: o.seqLen, targetFraction });
    const tokensPerSec = tokens / seconds;
    return {
      batchSize: o.batchSize,
      seqLen: o.seqLen,
      steps,
      tokens,
      seconds,
      tokensPerSec,
      tokensPerCpuSec: tokens / ((cpu.user + cpu.system) / 1e6),
      flopsPerToken,
      achievedGflops: (tokensPerSec * flopsPerToken) / 1e9,
      loss,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
