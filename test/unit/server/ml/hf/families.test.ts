/**
 * Parity with PyTorch for the BERT-family cousins: test/fixtures/hf-tiny-{distilbert,roberta,xlm-roberta} were made
 * by test/fixtures/hf/make_family_fixtures.py (plain-PyTorch DistilBertForMaskedLM / RobertaForMaskedLM with
 * transformers' names and math, random weights). Imported onto our BERT they must give the recorded logits at
 * every real position, alone and in a right-padded batch, on the cpu backend, without leaking tensors; for RoBERTa
 * and XLM-R also from text: our tokenizer gives the ids HF's native tokenizers gave (recorded), and the logits there.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { createModelFromHf, importHfCheckpoint } from '../../../../../server/ml/hf';
import { familyOfConfig } from '../../../../../server/ml/hf/families';
import { maxAbsDiff, ROOT } from './hfHelpers';

interface Expected {
  cases: Array<{ ids: number[]; logits: number[][] }>;
  /** RoBERTa / XLM-R: sentences, their ids by HF's native tokenizers, and PyTorch's logits there. */
  texts?: Array<{ text: string; ids: number[]; logits: number[][] }>;
  batch: { ids: number[][]; attentionMask: number[][]; positions: number[]; logits: number[][] };
}

const FAMILIES: Array<[string, string, string]> = [
  ['distilbert', 'hf-tiny-distilbert', 'DistilBertForMaskedLM'],
  ['roberta', 'hf-tiny-roberta', 'RobertaForMaskedLM'],
  ['xlm-roberta', 'hf-tiny-xlm-roberta', 'XLMRobertaForMaskedLM'],
];

function logits(
  model: ReturnType<typeof createModelFromHf>,
  ids: number[][],
  mask: number[][],
  positions: number[],
): Float32Array {
  const t = model.logitsAt(
    Int32Array.from(ids.flat()),
    Int32Array.from(mask.flat()),
    ids.length,
    ids[0].length,
    Int32Array.from(positions),
  ); // [positions, vocab]
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/** The largest |Δ logit| per family, printed for docs/hub.md. */
const worst = new Map<string, number>();

void describe('PyTorch parity of the BERT-family cousins', () => {
  // RoBERTa and XLM-R carry tokenizers of their own kind (byte-level BPE, Unigram): text in, logits out.
  after(() => {
    for (const [f, d] of worst)
      process.stdout.write(`# ${f}: max |Δ logit| vs PyTorch ${d.toExponential(2)}\n`);
  });
  before(async () => {
    await initBackend({ backend: 'cpu' });
  });
  for (const [family, folder, architecture] of FAMILIES) {
    const dir = path.join(ROOT, 'test', 'fixtures', folder);
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;

    void test(`${family}: every weight maps, logits within 1e-4 of PyTorch (single and padded batch)`, async () => {
      const ckpt = await importHfCheckpoint(dir);
      assert.equal(ckpt.report.family, family);
      assert.equal(ckpt.report.architecture, architecture);
      assert.deepEqual(ckpt.report.initialised, []);
      assert.deepEqual(
        ckpt.report.ignored.map((i) => i.name),
        [],
        JSON.stringify(ckpt.report.ignored),
      );
      const model = createModelFromHf(ckpt);
      // The first inference builds the model's fused Q|K|V cache (owned by the model): count after it.
      logits(model, [expected.cases[0].ids], [expected.cases[0].ids.map(() => 1)], [0]);
      const before = tf.memory().numTensors;
      try {
        for (const c of expected.cases) {
          const got = logits(
            model,
            [c.ids],
            [c.ids.map(() => 1)],
            c.ids.map((_, i) => i),
          );
          const diff = maxAbsDiff(got, Float32Array.from(c.logits.flat()));
          assert.ok(diff <= 1e-4, `${family}, ${c.ids.length} tokens: max |Δ logit| ${diff}`);
          worst.set(family, Math.max(worst.get(family) ?? 0, diff));
        }
        for (const c of expected.texts ?? []) {
          const ids = ckpt.tokenizer.encode(c.text).ids;
          assert.deepEqual(ids, c.ids, `${family}: the ids of ${JSON.stringify(c.text)} (HF tokenizers)`);
          const got = logits(
            model,
            [ids],
            [ids.map(() => 1)],
            ids.map((_, i) => i),
          );
          const diff = maxAbsDiff(got, Float32Array.from(c.logits.flat()));
          assert.ok(diff <= 1e-4, `${family}, ${JSON.stringify(c.text)}: max |Δ logit| ${diff}`);
          worst.set(family, Math.max(worst.get(family) ?? 0, diff));
        }
        const b = expected.batch;
        const got = logits(model, b.ids, b.attentionMask, b.positions);
        const diff = maxAbsDiff(got, Float32Array.from(b.logits.flat()));
        assert.ok(diff <= 1e-4, `${family}, padded batch: max |Δ logit| ${diff}`);
        worst.set(family, Math.max(worst.get(family) ?? 0, diff));
        assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      } finally {
        model.dispose();
      }
    });
  }

  const configs: Array<[Record<string, unknown>, string, boolean]> = [
    [{ model_type: 'bert', architectures: ['BertForMaskedLM'] }, 'BERT', true],
    [{ model_type: 'distilbert', architectures: ['DistilBertForMaskedLM'] }, 'DistilBERT', true],
    [{ model_type: 'bert', architectures: ['BertForSequenceClassification'] }, 'BERT', false],
    [{ model_type: 'roberta', architectures: ['RobertaForMaskedLM'] }, 'RoBERTa', true],
    [{ model_type: 'xlm-roberta', architectures: ['XLMRobertaForMaskedLM'] }, 'XLM-RoBERTa', true],
    [{ model_type: 'deberta-v2' }, 'DeBERTa-v2', false],
  ];
  for (const [config, name, usable] of configs) {
    void test(`family of ${JSON.stringify(config)}: ${name}, usable ${usable}`, () => {
      const f = familyOfConfig(config);
      assert.equal(f.family?.name, name);
      assert.equal(f.usable, usable, f.why);
    });
  }
});
