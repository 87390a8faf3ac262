/**
 * What one checkpoint save costs per model preset — the figures behind the shutdown's "save only if it fits in the
 * budget" (train/checkpointWriter.ts SAVE_COST, docs/reliability.md row 28). Each save is what the trainer does:
 * download the weights, read AdamW's moments, serialise both as safetensors, publish the folder (fsync every file,
 * rename, marker) and rotate. `npm run bench -- save [--preset tiny,mini] [--saves 3]` (vocab 8192).
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prefetch } from '../../server/ml/backend/read';
import { emptyCheckpointState, rotateCheckpoints, saveCheckpoint } from '../../server/ml/checkpoint';
import { bertPreset, createModel, type BertPresetName } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { expectedSaveMs } from '../../server/ml/train/checkpointWriter';
import { parameterCount } from '../../server/ml/train/memory';
import { fmt, type Reporter } from './report';

export interface SaveBenchOptions {
  presets: BertPresetName[];
  saves: number;
  vocabSize: number;
  /** Folder the runs are written under (default: the OS temp folder). */
  dir?: string;
}

export const SAVE_DEFAULTS: SaveBenchOptions = {
  presets: ['tiny', 'mini', 'small', 'medium', 'base'],
  saves: 3,
  vocabSize: 8192,
};

export async function runSave(opts: SaveBenchOptions, out: Reporter): Promise<void> {
  const root = fs.mkdtempSync(path.join(opts.dir ?? os.tmpdir(), 'mlm-save-bench-'));
  try {
    for (const preset of opts.presets) {
      const config = bertPreset(preset, opts.vocabSize, 512);
      const model = createModel(config, { seed: 1 });
      const optimizer = new AdamW(model.variables, {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-6,
        weightDecay: 0,
      });
      const runDir = path.join(root, preset);
      fs.mkdirSync(runDir);
      const samples: number[] = [];
      try {
        for (let i = 1; i <= opts.saves; i++) {
          const t0 = performance.now();
          await prefetch(model.variables.values());
          const moments = await optimizer.getState();
          saveCheckpoint(runDir, {
            state: { ...emptyCheckpointState(), step: i },
            weights: model.toHfState(),
            optimizer: moments.tensors,
          });
          rotateCheckpoints(runDir, { keepLast: 2, keepBest: false });
          samples.push(performance.now() - t0);
        }
      } finally {
        optimizer.dispose();
        model.dispose();
        fs.rmSync(runDir, { recursive: true, force: true });
      }
      const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
      const parameters = parameterCount(config);
      out.record({
        workload: 'save',
        system: 'ours',
        metric: 'checkpoint save',
        value: median,
        unit: 'ms',
        samples,
        preset,
        parameters,
        bytes: 12 * parameters,
        expectedMs: expectedSaveMs(parameters),
        backend: tf.getBackend(),
      });
      out.row([
        'save',
        `${preset} (${fmt(parameters / 1e6)} M params, ${fmt((12 * parameters) / 2 ** 20)} MiB)`,
        `${fmt(median)} ms`,
        `expected ${fmt(expectedSaveMs(parameters))} ms`,
        median <= 1250 ? 'fits the shutdown budget' : 'keeps the last checkpoint',
      ]);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
