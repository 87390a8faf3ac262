/**
 * The W1 batches: batchSize × seqLen random tokens ([CLS] … [SEP]) from the vocabulary, masked by the
 * product's own dynamic masking (15 % targets, 80/10/10) with a fixed seed. The same batches feed ours
 * and PyTorch (written to a JSON file for the reference).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maskBatch } from '../../server/ml/data/masking';
import type { Example } from '../../server/ml/data/examples';
import { SeededRng } from '../../server/ml/data/rng';
import type { MlmBatch, SpecialTokenIds } from '../../server/ml/types';

/** The WordPiece trainer's layout: the five special tokens first. */
export const BENCH_SPECIAL: SpecialTokenIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const FIRST_WORD_ID = 5;

export function w1Batches(opts: {
  count: number;
  batchSize: number;
  seqLen: number;
  vocabSize: number;
  seed: number;
}): MlmBatch[] {
  const rng = new SeededRng(opts.seed);
  const batches: MlmBatch[] = [];
  for (let k = 0; k < opts.count; k++) {
    const examples: Example[] = [];
    for (let b = 0; b < opts.batchSize; b++) {
      const ids = new Int32Array(opts.seqLen); // [seqLen]
      ids[0] = BENCH_SPECIAL.cls;
      for (let t = 1; t < opts.seqLen - 1; t++)
        ids[t] = FIRST_WORD_ID + rng.int(opts.vocabSize - FIRST_WORD_ID);
      ids[opts.seqLen - 1] = BENCH_SPECIAL.sep;
      examples.push({ ids, length: opts.seqLen, wordStart: new Uint8Array(opts.seqLen).fill(1) });
    }
    const { batch } = maskBatch(
      examples,
      rng,
      { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: false },
      { vocabSize: opts.vocabSize, special: BENCH_SPECIAL },
    );
    batches.push(batch);
  }
  return batches;
}

/** Writes the batches for torch_ref.py; returns the file path (in a fresh temporary folder). */
export function writeBatchesFile(batches: readonly MlmBatch[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-bench-'));
  const file = path.join(dir, 'w1-batches.json');
  const plain = (a: Int32Array) => Array.from(a);
  fs.writeFileSync(
    file,
    JSON.stringify({
      batchSize: batches[0].batchSize,
      seqLen: batches[0].seqLen,
      batches: batches.map((b) => ({
        inputIds: plain(b.inputIds),
        attentionMask: plain(b.attentionMask),
        maskedPositions: plain(b.maskedPositions),
        labels: plain(b.labels),
      })),
    }),
  );
  return file;
}
