/**
 * Continued pretraining: a run config with model.init (the PyTorch-made fixture, imported with `mlm import`'s core)
 * keeps the checkpoint's tokenizer and shape, and a few steps on the sample corpus lower the held-out loss.
 * Vocabulary extension: added words get the mean of their pieces' rows and are whole tokens afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig } from '../../../../../protocol/runConfig';
import { initBackend } from '../../../../../server/ml/backend';
import { loadRunForInference, readWeights } from '../../../../../server/ml/checkpoint';
import { ExampleBuilder } from '../../../../../server/ml/data/examples';
import { evalBatches } from '../../../../../server/ml/data/stream';
import { evaluateBatches } from '../../../../../server/ml/evaluate';
import {
  exportRun,
  extendVocabulary,
  findSplitWords,
  importHfCheckpoint,
  importToRunDir,
} from '../../../../../server/ml/hf';
import { WordPieceTokenizer } from '../../../../../server/ml/tokenizer';
import { runTraining } from '../../../../../server/ml/train/run';
import { findTorchPython, FIXTURE_DIR, maxAbsDiff, referenceLogits, ROOT, tempDir } from './hfHelpers';

const SAMPLE = path.join(ROOT, 'test', 'fixtures', 'sample-corpus', 'en');
const TRAIN_FILES = ['kjv-ruth.txt', 'kjv-james.txt'];
const HELD_OUT = 'kjv-jonah.txt';
const SEQ_LEN = 32;
const STEPS = 24;

/** Held-out loss of a run's checkpoint on one text, with the fixed evaluation masks. */
async function heldOutLoss(runDir: string, text: string): Promise<number> {
  const { model, tokenizer, config } = await loadRunForInference(runDir);
  try {
    const builder = new ExampleBuilder(tokenizer, { seqLen: SEQ_LEN, mode: 'chunk' });
    builder.addText(text);
    const vocab = { vocabSize: tokenizer.vocabSize, special: tokenizer.special };
    const batches = evalBatches(builder.finish(), 16, config.data.masking, vocab, 8);
    return (await evaluateBatches(model, batches)).loss;
  } finally {
    model.dispose();
  }
}

void describe('continued pretraining from the fixture (model.init)', () => {
  const tmp = tempDir('continued');
  after(() => tmp.cleanup());
  before(async () => {
    // wasm (single thread): the pure-JS cpu backend needs seconds per training step.
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  let trainedRun: string | undefined;
  let exported: string | undefined;

  void test('training from model.init keeps the tokenizer and lowers the held-out loss', async (t) => {
    const corpus = path.join(tmp.dir, 'corpus');
    fs.mkdirSync(corpus);
    for (const f of TRAIN_FILES) fs.copyFileSync(path.join(SAMPLE, f), path.join(corpus, f));
    const imported = path.join(tmp.dir, 'imported');
    await importToRunDir(FIXTURE_DIR, imported);

    const parsed = parseRunConfig({
      model: { init: imported, dropout: 0 },
      data: { seqLen: SEQ_LEN, validationSplit: 0 },
      training: { maxSteps: STEPS, batchSize: 16, lr: 3e-3, warmupSteps: 0, seed: 1 },
      checkpoint: { every: STEPS },
      backend: 'wasm',
      threads: 1,
      output: { dir: path.join(tmp.dir, 'runs') },
    });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('; '));
    const logs: string[] = [];
    const summary = await runTraining(parsed.config, {
      cwd: corpus,
      runId: 'continued',
      callbacks: { onLog: (_level, m) => logs.push(m) },
    });
    assert.equal(summary.error, undefined, summary.error);
    assert.equal(summary.steps, STEPS);
    assert.ok(
      logs.some((l) => l.startsWith('model.init: imported BertForMaskedLM')),
      logs.join('\n'),
    );
    // The fixture's vocabulary is kept, not a newly trained one.
    const runDir = path.join(tmp.dir, 'runs', 'continued');
    assert.equal(
      fs.readFileSync(path.join(runDir, 'vocab.txt'), 'utf8'),
      fs.readFileSync(path.join(FIXTURE_DIR, 'vocab.txt'), 'utf8'),
    );
    const text = fs.readFileSync(path.join(SAMPLE, HELD_OUT), 'utf8');
    const lossBefore = await heldOutLoss(imported, text);
    const lossAfter = await heldOutLoss(runDir, text);
    t.diagnostic(
      `held-out loss before ${lossBefore.toFixed(4)}, after ${STEPS} steps ${lossAfter.toFixed(4)}`,
    );
    assert.ok(lossAfter < lossBefore - 0.5, `held-out loss ${lossBefore} → ${lossAfter}`);
    trainedRun = runDir;
  });

  void test('round trip of the trained run: export → import gives the same weights', async () => {
    assert.ok(trainedRun, 'needs the trained run of the previous test');
    exported = path.join(tmp.dir, 'exported');
    const r = await exportRun(trainedRun, exported);
    assert.equal(r.step, STEPS);
    const saved = readWeights(r.checkpointDir);
    const back = await importHfCheckpoint(exported);
    assert.deepEqual(back.report.initialised, []);
    assert.equal(back.state.size, saved.size);
    for (const [name, t] of saved) assert.deepEqual(back.state.get(name), t, name);
    assert.equal(
      fs.readFileSync(path.join(exported, 'vocab.txt'), 'utf8'),
      fs.readFileSync(path.join(trainedRun, 'vocab.txt'), 'utf8'),
    );
    assert.equal(back.tokenizer.lowercase, true);
  });

  void test('the PyTorch reference loads the export and gives the same logits (≤ 1e-4)', async (t) => {
    const { python, reason } = findTorchPython();
    if (!python) {
      t.skip(reason);
      return;
    }
    assert.ok(exported, 'needs the export of the previous test');
    const { model, tokenizer } = await loadRunForInference(trainedRun as string);
    try {
      const texts = ['the lord said unto [MASK] , go', 'and it came to pass in the [MASK] of the judges'];
      const inputs = texts.map((text) => {
        const ids = tokenizer.encode(text).ids;
        return { ids: [ids], positions: ids.map((_, i) => i) };
      });
      const want = referenceLogits(python, exported, inputs);
      for (const [i, input] of inputs.entries()) {
        const ids = Int32Array.from(input.ids[0]);
        const logits = model.logitsAt(
          ids,
          ids.map(() => 1),
          1,
          ids.length,
          Int32Array.from(input.positions),
        );
        const got = logits.dataSync() as Float32Array;
        logits.dispose();
        const diff = maxAbsDiff(got, Float32Array.from(want[i].flat()));
        t.diagnostic(`input ${i}: max |Δ logit| vs PyTorch ${diff.toExponential(2)}`);
        assert.ok(diff <= 1e-4, `max abs difference ${diff}`);
      }
    } finally {
      model.dispose();
    }
  });
});

void describe('vocabulary extension', () => {
  void test('frequent split words are added; their rows are the mean of their pieces; old ids do not move', async () => {
    const imported = await importHfCheckpoint(FIXTURE_DIR);
    assert.ok(imported.tokenizer instanceof WordPieceTokenizer);
    const ckpt = { ...imported, tokenizer: imported.tokenizer };
    const texts = ['zebra zebras zebra quokka quokka quokka the the cat', 'zebra quokka xylophone'];
    const words = findSplitWords(ckpt.tokenizer, texts, { maxWords: 2, minFrequency: 2 });
    assert.deepEqual(
      words.map((w) => [w.word, w.count]),
      [
        ['quokka', 4],
        ['zebra', 3],
      ],
    );
    const zebraPieces = ckpt.tokenizer.encode('zebra', { addSpecialTokens: false }).ids;
    assert.ok(zebraPieces.length >= 2);
    const grown = extendVocabulary(ckpt, words);
    const v = ckpt.config.vocabSize;
    const h = ckpt.config.hiddenSize;
    assert.equal(grown.tokenizer.vocabSize, v + 2);
    assert.equal(grown.config.vocabSize, v + 2);
    assert.deepEqual(grown.tokenizer.encode('the zebra').ids.slice(1, 3), [
      ckpt.tokenizer.tokenToId('the'),
      v + 1,
    ]);
    assert.deepEqual(grown.tokenizer.encode('the cat').ids, ckpt.tokenizer.encode('the cat').ids);
    const emb = grown.state.get('bert.embeddings.word_embeddings.weight');
    const old = ckpt.state.get('bert.embeddings.word_embeddings.weight');
    assert.ok(emb && old);
    assert.deepEqual(emb.shape, [v + 2, h]);
    assert.deepEqual(emb.data.subarray(0, v * h), old.data);
    for (let k = 0; k < h; k++) {
      const mean = zebraPieces.reduce((s, id) => s + old.data[id * h + k], 0) / zebraPieces.length;
      assert.ok(Math.abs(emb.data[(v + 1) * h + k] - mean) < 1e-6);
    }
    const bias = grown.state.get('cls.predictions.bias');
    assert.equal(bias?.data.length, v + 2);
  });
});
