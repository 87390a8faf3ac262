/**
 * The seeded training curve of test/unit/server/ml/train/seededCurve.test.ts: a small BERT trained by the product's
 * trainStep + AdamW on fixed masked batches (some rows padded), with and without dropout. seededCurve.make.ts
 * ran this on the code before the speed work (commit 715ca19) and saved test/fixtures/seeded-curve/curve.json;
 * the test runs it on today's code.
 */
import { maskBatch } from '../../../../../server/ml/data/masking';
import type { Example } from '../../../../../server/ml/data/examples';
import { SeededRng } from '../../../../../server/ml/data/rng';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { trainStep } from '../../../../../server/ml/train/step';
import type { MlmBatch } from '../../../../../server/ml/types';

export const CURVE_STEPS = 25;
const V = 96;
const SPECIAL = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };

/** Rows of [CLS] w… [SEP] [PAD]…: word i+1 often follows word i, so there is something to learn. */
function batches(count: number, batchSize: number, seqLen: number): MlmBatch[] {
  const rng = new SeededRng(11);
  return Array.from({ length: count }, () => {
    const examples: Example[] = Array.from({ length: batchSize }, (_, b) => {
      const length = b % 3 === 0 ? seqLen - 5 : seqLen; // every third row padded
      const ids = new Int32Array(seqLen);
      ids[0] = SPECIAL.cls;
      let w = 5 + rng.int(V - 5);
      for (let t = 1; t < length - 1; t++) {
        ids[t] = w;
        w = rng.int(4) === 0 ? 5 + rng.int(V - 5) : 5 + ((w - 5 + 1) % (V - 5));
      }
      ids[length - 1] = SPECIAL.sep;
      return { ids, length, wordStart: new Uint8Array(seqLen).fill(1) };
    });
    return maskBatch(
      examples,
      rng,
      { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: false },
      { vocabSize: V, special: SPECIAL },
    ).batch;
  });
}

/** Loss and gradient norm of each step, for a run without dropout and one with dropout 0.1. */
export async function seededCurves(): Promise<
  Record<'dropout0' | 'dropout01', { loss: number[]; gradNorm: number[] }>
> {
  const data = batches(5, 6, 24);
  const run = async (dropout: number) => {
    const config = {
      ...bertPreset('tiny', V, 32),
      hiddenSize: 64,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      intermediateSize: 128,
      hiddenDropoutProb: dropout,
      attentionProbsDropoutProb: dropout,
    };
    const model = createModel(config, { seed: 5 });
    const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });
    const loss: number[] = [];
    const gradNorm: number[] = [];
    try {
      for (let s = 0; s < CURVE_STEPS; s++) {
        const r = await trainStep(model, opt, [data[s % data.length]], { lr: 2e-3, clipNorm: 1 });
        loss.push(r.loss);
        gradNorm.push(r.gradNorm);
      }
    } finally {
      model.dispose();
      opt.dispose();
    }
    return { loss, gradNorm };
  };
  return { dropout0: await run(0), dropout01: await run(0.1) };
}
