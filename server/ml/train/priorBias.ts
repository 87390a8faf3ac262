/**
 * Output-bias prior: a fresh model starts by predicting the training tokens' unigram distribution
 * (bias = log frequency, add-one smoothed) instead of a uniform one, so the first steps go into
 * learning from context rather than into learning token frequencies ("init the last layer's bias to the prior").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Example } from '../data/examples';
import type { MlmModel, SpecialTokenIds } from '../types';

/** Output bias variables by architecture (Hugging Face names). */
const OUTPUT_BIAS = ['cls.predictions.bias', 'cls.decoder.bias'];

/** [vocabSize] centred log unigram frequencies of the non-special tokens; special tokens (never targets) a tenth of an unseen token's. */
export function unigramLogPrior(
  examples: readonly Example[],
  vocabSize: number,
  special: SpecialTokenIds,
): Float32Array {
  const specials = new Set(Object.values(special));
  const counts = new Float64Array(vocabSize).fill(1);
  let total = vocabSize;
  for (const ex of examples) {
    for (let t = 0; t < ex.length; t++) {
      const id = ex.ids[t];
      if (!specials.has(id) && id < vocabSize) {
        counts[id]++;
        total++;
      }
    }
  }
  const out = new Float32Array(vocabSize);
  let sum = 0;
  for (let i = 0; i < vocabSize; i++) {
    out[i] = specials.has(i) ? Math.log(0.1 / total) : Math.log(counts[i] / total);
    sum += out[i];
  }
  const mean = sum / vocabSize;
  for (let i = 0; i < vocabSize; i++) out[i] -= mean;
  return out;
}

/** Sets the model's output bias to the unigram prior; returns false when the model has no such bias. */
export function initOutputBiasToPrior(
  model: MlmModel,
  examples: readonly Example[],
  special: SpecialTokenIds,
): boolean {
  const name = OUTPUT_BIAS.find((n) => model.variables.has(n));
  const v = name ? model.variables.get(name) : undefined;
  if (!v || v.shape.length !== 1) return false;
  const prior = unigramLogPrior(examples, v.shape[0], special);
  tf.tidy(() => v.assign(tf.tensor1d(prior))); // [vocabSize]
  return true;
}
