import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../server/ml/backend';
import { CliError } from '../../../../server/cli/command';
import {
  doctorMemory,
  formatMemory,
  formatTrainBench,
  parseDoctorArgs,
  type TrainBench,
} from '../../../../server/cli/commands/doctor';
import { bertPreset } from '../../../../server/ml/model';
import { flopsPerToken } from '../../../../server/ml/train/flops';
import { parameterCount } from '../../../../server/ml/train/memory';
import { measureTrainThroughput, THROUGHPUT_SETUPS } from '../../../../server/ml/train/throughput';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

void describe('mlm doctor options', () => {
  void test('defaults, and the --bench options', () => {
    assert.deepEqual(parseDoctorArgs([]), {
      json: false,
      bench: false,
      backend: 'auto',
      threads: undefined,
      benchModel: undefined,
      benchBatch: undefined,
      benchSteps: 3,
      config: undefined,
    });
    const o = parseDoctorArgs([
      '--bench',
      '--bench-model',
      'tiny',
      '--bench-batch=32',
      '--bench-steps',
      '5',
      '--threads',
      '1',
    ]);
    assert.equal(o.benchModel, 'tiny');
    assert.equal(o.benchBatch, 32);
    assert.equal(o.benchSteps, 5);
    assert.equal(o.threads, 1);
  });

  for (const argv of [
    ['--bench-model', 'huge'],
    ['--bench-batch', '0'],
    ['--bench-steps', 'many'],
    ['--threads', '1.5'],
    ['--backend', 'tpu'],
    ['--verbose'],
    ['extra'],
  ]) {
    void test(`usage error (exit 2): ${argv.join(' ')}`, () => {
      assert.throws(
        () => parseDoctorArgs(argv),
        (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.includes('usage: mlm doctor'),
      );
    });
  }
});

void describe('mlm doctor memory', () => {
  void test('every preset with the default settings, or the run config given', () => {
    const presets = doctorMemory();
    assert.deepEqual(
      presets.map((m) => m.label),
      ['tiny', 'mini', 'small', 'medium', 'base'],
    );
    for (const m of presets) {
      assert.equal(m.estimate.parameters, parameterCount(bertPreset(m.label as 'tiny', 8192)));
      assert.ok(m.estimate.leaderBytes > m.estimate.weightsBytes * 3);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-doctor-'));
    const file = path.join(dir, 'big.mlm.json');
    fs.writeFileSync(file, JSON.stringify({ model: { preset: 'small' }, data: { seqLen: 64 } }));
    try {
      const [one] = doctorMemory(file);
      assert.equal(one.label, file);
      assert.equal(one.estimate.parameters, parameterCount(bertPreset('small', 8192, 512)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.match(formatMemory(presets).join('\n'), /base +92\.3 M params: leader \d/);
  });
});

void describe('mlm doctor --bench training measurement', () => {
  void test('the bench setups: W1 is 22.4 MFLOP per token', () => {
    const w1 = THROUGHPUT_SETUPS.w1;
    assert.equal(w1.config.vocabSize, 8192);
    const f = flopsPerToken(w1.config, { seqLen: w1.seqLen, targetFraction: 0.15 });
    assert.ok(Math.abs(f.train / 22.4e6 - 1) < 0.001);
  });

  void test('trains real steps, counts tokens and FLOPs, leaks nothing', async () => {
    const config = {
      ...bertPreset('tiny', 40, 16),
      hiddenSize: 16,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 32,
    };
    const tensors = tf.memory().numTensors;
    const r = await measureTrainThroughput({ config, seqLen: 16, batchSize: 4, steps: 2 });
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leak');
    assert.equal(r.tokens, 2 * 4 * 16);
    assert.ok(Number.isFinite(r.loss) && r.loss > 0);
    assert.ok(r.seconds > 0 && r.tokensPerSec > 0 && r.tokensPerCpuSec > 0);
    assert.equal(r.flopsPerToken, flopsPerToken(config, { seqLen: 16, targetFraction: 0.15 }).train);
    assert.ok(Math.abs(r.achievedGflops - (r.tokensPerSec * r.flopsPerToken) / 1e9) < 1e-9);
  });

  void test('a time budget stops after the first timed step', async () => {
    const config = { ...bertPreset('tiny', 40, 8), hiddenSize: 8, numHiddenLayers: 1, intermediateSize: 16 };
    const r = await measureTrainThroughput({ config, seqLen: 8, batchSize: 2, steps: 5, budgetMs: 0 });
    assert.equal(r.steps, 1);
    assert.equal(r.tokens, 16);
  });

  void test('the report names tokens/s, GFLOP/s and the MFU against the peak', () => {
    const t: TrainBench = {
      model: 'w1',
      label: 'W1 (BERT mini, vocab 8192, seq 128)',
      batchSize: 8,
      seqLen: 128,
      steps: 3,
      tokens: 3072,
      seconds: 2,
      tokensPerSec: 1536,
      tokensPerCpuSec: 800,
      flopsPerToken: 22.4e6,
      achievedGflops: 34.4064,
      loss: 9.1,
      peakGflops: 40,
      mfu: 0.86016,
    };
    const text = formatTrainBench(t).join('\n');
    assert.match(
      text,
      /W1 \(BERT mini, vocab 8192, seq 128\), batch 8, 3 steps after a warm-up \(2\.0 s; loss 9\.10\)/,
    );
    assert.match(text, /1,536 tokens\/s \(800 per CPU-second\) × 22\.4 MFLOP per token = 34\.4 GFLOP\/s/);
    assert.match(text, /MFU 86\.0 % of the 40\.0 GFLOP\/s matMul peak/);
    assert.doesNotMatch(formatTrainBench({ ...t, mfu: undefined, peakGflops: undefined }).join('\n'), /MFU/);
  });
});
