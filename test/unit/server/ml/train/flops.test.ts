import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { W1_TRAIN_FLOP_PER_TOKEN } from '../../../../../server/ml/backend/peak';
import { bertPreset, bigruConfig, createModel } from '../../../../../server/ml/model';
import { flopsPerToken, utilisation } from '../../../../../server/ml/train/flops';
import type { MlmBatch, ModelConfig } from '../../../../../server/ml/types';

before(async () => {
  await tf.setBackend('cpu');
});

const tinyBert: ModelConfig = {
  ...bertPreset('tiny', 10, 8),
  hiddenSize: 4,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 8,
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
};

void describe('flopsPerToken', () => {
  void test('W1 (mini, vocab 8192, seq 128, 15 % targets): 7.46 MFLOP forward, 22.4 MFLOP per training token', () => {
    const f = flopsPerToken(bertPreset('mini', 8192, 128), { seqLen: 128, targetFraction: 0.15 });
    assert.ok(Math.abs(f.forward / 7.46e6 - 1) < 0.001, `forward ${f.forward}`);
    assert.ok(Math.abs(f.train / W1_TRAIN_FLOP_PER_TOKEN - 1) < 0.001, `train ${f.train}`);
    assert.equal(f.train, 3 * f.forward);
  });

  const cases: Array<{ name: string; config: ModelConfig; seqLen: number; frac: number; forward: number }> = [
    // per layer 8h² + 4·s·h + 4hf = 128 + 32 + 128 = 288; head 0.5 · (2h² + 2hV) = 0.5 · (32 + 80) = 56
    {
      name: 'BERT h 4, 1 layer, f 8, seq 2, vocab 10, half targets',
      config: tinyBert,
      seqLen: 2,
      frac: 0.5,
      forward: 344,
    },
    // seq 4: attention 4·4·4 = 64 instead of 32
    { name: 'the same at seq 4', config: tinyBert, seqLen: 4, frac: 0.5, forward: 376 },
    // 2 directions × (2e·3u + 2u·3u) = 2 · (36 + 24) = 120; head 0.2 · 2·2u·V = 0.2 · 40 = 8
    {
      name: 'BiGRU emb 3, units 2, vocab 5, 20 % targets',
      config: bigruConfig(5, { embeddingDim: 3, gruUnits: 2 }),
      seqLen: 7,
      frac: 0.2,
      forward: 128,
    },
  ];
  for (const c of cases) {
    void test(`hand-computed: ${c.name}`, () => {
      const f = flopsPerToken(c.config, { seqLen: c.seqLen, targetFraction: c.frac });
      assert.ok(Math.abs(f.forward - c.forward) < 1e-9, `forward ${f.forward} != ${c.forward}`);
      assert.ok(Math.abs(f.train - 3 * c.forward) < 1e-9);
    });
  }

  void test('bad options are rejected', () => {
    assert.throws(() => flopsPerToken(tinyBert, { seqLen: 0, targetFraction: 0.15 }), /seqLen/);
    assert.throws(() => flopsPerToken(tinyBert, { seqLen: 8, targetFraction: 1.5 }), /targetFraction/);
  });

  /** 2·m·k·n of every matMul kernel the profiled function ran (k from the left operand's last two dims). */
  async function matmulFlops(fn: () => tf.TensorContainer): Promise<number> {
    const info = await tf.profile(() => tf.tidy(fn));
    tf.dispose(info.result as tf.TensorContainer);
    let flops = 0;
    for (const k of info.kernels) {
      if (k.name !== 'BatchMatMul' && k.name !== '_FusedMatMul') continue; // (not the fusedMatMul__op scope)
      const out = k.outputShapes[0]!;
      const a = k.inputShapes[0]!;
      const m = out[out.length - 2];
      const inner = (a[a.length - 1] * a[a.length - 2]) / m;
      flops += 2 * out.reduce((p, d) => p * d, 1) * inner;
    }
    return flops;
  }

  // With dropout on, every row goes through every layer (with hidden dropout 0 the BERT runs its last layer's
  // output dense and FFN at the targets only: fewer products than the model's FLOPs, which MFU counts).
  // Dropout does not change which products run, so training-mode forwards are counted.
  for (const config of [
    {
      ...tinyBert,
      hiddenSize: 8,
      numHiddenLayers: 2,
      intermediateSize: 16,
      vocabSize: 12,
      hiddenDropoutProb: 0.1,
      attentionProbsDropoutProb: 0.1,
    },
    bigruConfig(12, { embeddingDim: 4, gruUnits: 3, dropout: 0.1 }),
  ] as ModelConfig[]) {
    void test(`${config.arch}: the formula equals the matrix products the model runs (forward, and × 3 with gradients)`, async () => {
      const batchSize = 2;
      const seqLen = 8;
      const n = batchSize * seqLen;
      const positions = Int32Array.from([1, 3, 6, 9, 12, 14]); // 6 of 16 targets
      const batch: MlmBatch = {
        batchSize,
        seqLen,
        inputIds: Int32Array.from({ length: n }, (_, i) => 5 + (i % 7)),
        attentionMask: new Int32Array(n).fill(1),
        maskedPositions: positions,
        labels: Int32Array.from(positions, (p) => 5 + ((p + 1) % 7)),
      };
      const tensors = tf.memory().numTensors;
      const model = createModel(config, { seed: 3 });
      try {
        const expected = flopsPerToken(config, { seqLen, targetFraction: positions.length / n });
        const forward = await matmulFlops(() => model.loss(batch, true).loss);
        assert.ok(
          Math.abs(forward / (expected.forward * n) - 1) < 1e-9,
          `${forward} vs ${expected.forward * n}`,
        );
        const vars = [...model.variables.values()];
        const train = await matmulFlops(() => {
          const { value, grads } = tf.variableGrads(() => model.loss(batch, true).loss, vars);
          return [value, ...Object.values(grads)];
        });
        // Backward = 2 × forward: exact for BERT; the BiGRU skips the gradient of its constant zero initial state.
        const ratio = train / (expected.train * n);
        const low = config.arch === 'bert' ? 1 - 1e-9 : 0.95;
        assert.ok(ratio >= low && ratio <= 1 + 1e-9, `training products ${train} vs ${expected.train * n}`);
      } finally {
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, tensors, 'no tensor leak');
    });
  }
});

void describe('utilisation', () => {
  const table: Array<{
    name: string;
    args: Parameters<typeof utilisation>;
    want: { achievedGflops: number; peakGflops: number; mfu: number } | undefined;
  }> = [
    {
      name: 'W1 at 1,875 tokens/s on 42 GFLOP/s',
      args: [1875, 22.4e6, 42],
      want: { achievedGflops: 42, peakGflops: 42, mfu: 1 },
    },
    { name: 'half the peak', args: [1000, 20e6, 40], want: { achievedGflops: 20, peakGflops: 40, mfu: 0.5 } },
    {
      name: 'data parallel: peak × replicas',
      args: [1000, 20e6, 40, 2],
      want: { achievedGflops: 20, peakGflops: 80, mfu: 0.25 },
    },
    { name: 'no throughput yet', args: [undefined, 20e6, 40], want: undefined },
    { name: 'no peak', args: [1000, 20e6, undefined], want: undefined },
    { name: 'zero peak', args: [1000, 20e6, 0], want: undefined },
  ];
  for (const c of table) {
    void test(c.name, () => {
      const u = utilisation(...c.args);
      if (!c.want) return assert.equal(u, undefined);
      assert.ok(u);
      for (const k of ['achievedGflops', 'peakGflops', 'mfu'] as const) {
        assert.ok(Math.abs(u[k] - c.want[k]) < 1e-9, `${k} ${u[k]} != ${c.want[k]}`);
      }
    });
  }
});
