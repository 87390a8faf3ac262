/** A tiny synthetic corpus where context predicts the masked word, and tiny run configs, for training tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeRunConfig, parseRunConfig, type ResolvedRunConfig } from '../../../../../protocol/runConfig';
import type { Example } from '../../../../../server/ml/data/examples';
import { maskBatch } from '../../../../../server/ml/data/masking';
import { SeededRng } from '../../../../../server/ml/data/rng';
import type { MlmBatch } from '../../../../../server/ml/types';

const SUBJECTS = ['cat', 'dog', 'bird', 'fish', 'horse', 'cow'];
const FOODS = ['milk', 'bones', 'seeds', 'worms', 'hay', 'grass'];
const PLACES = ['house', 'yard', 'tree', 'lake', 'field', 'barn'];

/** Writes `docs` files of sentences "the <animal> eats <its food> in the <its place> ." into a temp folder. */
export function syntheticWorkspace(docs = 6, linesPerDoc = 150): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-train-'));
  for (let d = 0; d < docs; d++) {
    const lines: string[] = [];
    for (let i = 0; i < linesPerDoc; i++) {
      const a = (i * 7 + d * 3) % SUBJECTS.length;
      lines.push(`the ${SUBJECTS[a]} eats ${FOODS[a]} in the ${PLACES[a]} .`);
    }
    fs.writeFileSync(path.join(dir, `doc${d}.txt`), `${lines.join('\n')}\n`);
  }
  return dir;
}

/** A small but real BERT run config (1 layer, hidden 32) that trains in seconds on wasm. */
export function tinyConfig(patch: object = {}): ResolvedRunConfig {
  const base = {
    tokenizer: { vocabSize: 64, minFrequency: 1 },
    model: {
      overrides: {
        hiddenSize: 32,
        numHiddenLayers: 1,
        numAttentionHeads: 2,
        intermediateSize: 64,
        maxPositionEmbeddings: 32,
      },
      dropout: 0.1,
    },
    data: { seqLen: 32, validationSplit: 0.2 },
    training: { batchSize: 8, maxSteps: 40, lr: 0.003, warmupSteps: 4, evalEvery: 20, logEvery: 1, seed: 7 },
    checkpoint: { every: 20 },
    backend: 'wasm',
    threads: 1,
  };
  const r = parseRunConfig(mergeRunConfig(base, patch));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

/**
 * `count` masked batches of `rows` rows × 12 tokens ([CLS] 8 random words [SEP], then 2 [PAD]) over a
 * vocabulary of `vocabSize` with the usual special ids 0–4; 30 % targets, 80/10/10; seed 5.
 */
export function paddedMaskedBatches(count: number, rows: number, vocabSize: number): MlmBatch[] {
  const rng = new SeededRng(5);
  return Array.from({ length: count }, () => {
    const exs: Example[] = Array.from({ length: rows }, () => {
      const ids = Int32Array.from({ length: 12 }, () => 5 + rng.int(vocabSize - 5));
      ids[0] = 2;
      ids[9] = 3;
      ids.fill(0, 10);
      return { ids, length: 10, wordStart: new Uint8Array(12).fill(1) };
    });
    return maskBatch(
      exs,
      rng,
      { probability: 0.3, maskFraction: 0.8, randomFraction: 0.1, wholeWord: false },
      { vocabSize, special: { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 } },
    ).batch;
  });
}
