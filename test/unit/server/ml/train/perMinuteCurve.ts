/**
 * The seeded curve of the per-minute recipe (protocol/runRecipe.ts; test: perMinuteCurve.test.ts): a small BERT
 * trained by runTraining on the synthetic corpus with `training.recipe: "per-minute"` and nothing else of the
 * recipe's set by the config, for a fixed number of steps on one thread. perMinuteCurve.make.ts recorded it in
 * test/fixtures/seeded-curve/per-minute.json; the test replays it on today's code, so the recipe's numbers change
 * only when chosen (a changed recipe value re-records the fixture, in the same commit).
 */
import fs from 'node:fs';
import { parseRunConfig } from '../../../../../protocol/runConfig';
import { readMetrics } from '../../../../../server/ml/checkpoint';
import { runTraining } from '../../../../../server/ml/train/run';
import { syntheticWorkspace } from './trainFixtures';

export const PER_MINUTE_STEPS = 40;

export interface PerMinuteCurve {
  /** What the recipe resolved to (the values under test). */
  recipe: { lr: number; batchSize: number; warmupRatio: number; dropout: number; masking: number };
  loss: number[];
  lr: number[];
  targetRate: number;
  eval: Array<{ step: number; loss: number; accuracy: number }>;
}

export async function perMinuteCurve(): Promise<PerMinuteCurve> {
  const ws = syntheticWorkspace();
  try {
    const r = parseRunConfig({
      tokenizer: { vocabSize: 64, minFrequency: 1 },
      model: {
        overrides: {
          hiddenSize: 64,
          numHiddenLayers: 1,
          numAttentionHeads: 2,
          intermediateSize: 128,
          maxPositionEmbeddings: 16,
        },
      },
      data: { seqLen: 16, mode: 'line', validationSplit: 0.2 },
      training: {
        recipe: 'per-minute',
        maxSteps: PER_MINUTE_STEPS,
        evalEvery: 20,
        logEvery: 1,
        seed: 7,
        dataParallel: 1,
      },
      checkpoint: { every: 100 },
      backend: 'wasm',
      threads: 1,
    });
    if (!r.ok) throw new Error(r.errors.join('; '));
    const c = r.config;
    const s = await runTraining(c, { cwd: ws });
    if (s.stoppedBy !== 'max-steps') throw new Error(`the run stopped by ${s.stoppedBy}: ${s.error ?? ''}`);
    const rows = readMetrics(s.runDir);
    const train = rows.filter((m) => m.split === 'train');
    return {
      recipe: {
        lr: c.training.lr,
        batchSize: c.training.batchSize,
        warmupRatio: c.training.warmupRatio,
        dropout: c.model.dropout,
        masking: c.data.masking.probability,
      },
      loss: train.map((m) => m.loss),
      lr: train.map((m) => m.lr!),
      targetRate: s.maskingRates.targetRate,
      eval: rows
        .filter((m) => m.split === 'eval')
        .map((m) => ({ step: m.step, loss: m.loss, accuracy: m.accuracy! })),
    };
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}
