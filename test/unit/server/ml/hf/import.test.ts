/**
 * Import of Hugging Face BERT folders: variants of the PyTorch-made fixture as real checkpoints come (BertModel without
 * head and prefix, F16/BF16, TF-style names, integer buffers, shards) load; broken ones fail naming the cause.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import {
  createModelFromHf,
  importHfCheckpoint,
  readSafetensorsFile,
  tensorAsFloat32,
} from '../../../../../server/ml/hf';
import type { NamedTensor } from '../../../../../server/ml/types';
import { copyFixture, FIXTURE_DIR, fromHalf, toHalf, writeRawSafetensors, type RawDtype } from './hfHelpers';

type Tensors = Map<string, NamedTensor>;

let fixture: Tensors;
const cleanups: Array<() => void> = [];

/** A copy of the fixture folder whose weights and config.json are rewritten. */
function variant(
  label: string,
  opts: {
    tensors?: (
      t: Tensors,
    ) => Array<{ name: string; dtype?: RawDtype; shape: number[]; values: ArrayLike<number> }>;
    config?: (c: Record<string, unknown>) => Record<string, unknown>;
    drop?: string[];
  },
): string {
  const t = copyFixture(label);
  cleanups.push(t.cleanup);
  if (opts.tensors) {
    const list = opts.tensors(new Map(fixture));
    writeRawSafetensors(
      path.join(t.dir, 'model.safetensors'),
      list.map((x) => ({ ...x, dtype: x.dtype ?? 'F32' })),
    );
  }
  if (opts.config) {
    const file = path.join(t.dir, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify(opts.config(c)));
  }
  for (const f of opts.drop ?? []) fs.rmSync(path.join(t.dir, f));
  return t.dir;
}

const entries = (t: Tensors) => [...t].map(([name, x]) => ({ name, shape: x.shape, values: x.data }));

before(async () => {
  await initBackend({ backend: 'cpu' });
  const st = await readSafetensorsFile(path.join(FIXTURE_DIR, 'model.safetensors'));
  fixture = new Map([...st.entries.keys()].map((n) => [n, tensorAsFloat32(st, n)]));
});
after(() => cleanups.forEach((c) => c()));

void describe('import: checkpoint variants that load', () => {
  void test('BertModel: no "bert." prefix, a pooler, no MLM head → head initialised, decoder tied, encoder exact', async () => {
    const dir = variant('bertmodel', {
      tensors: (t) => [
        ...entries(t)
          .filter((e) => e.name.startsWith('bert.'))
          .map((e) => ({ ...e, name: e.name.slice('bert.'.length) })),
        { name: 'pooler.dense.weight', shape: [64, 64], values: new Float32Array(64 * 64) },
        { name: 'pooler.dense.bias', shape: [64], values: new Float32Array(64) },
      ],
      config: (c) => ({ ...c, architectures: ['BertModel'] }),
    });
    const ckpt = await importHfCheckpoint(dir);
    assert.equal(ckpt.report.architecture, 'BertModel');
    assert.deepEqual(ckpt.report.initialised, [
      'cls.predictions.transform.dense.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.LayerNorm.bias',
      'cls.predictions.bias',
    ]);
    assert.deepEqual(ckpt.report.ignored.map((i) => i.name).sort(), [
      'pooler.dense.bias',
      'pooler.dense.weight',
    ]);
    const n0 = tf.memory().numTensors;
    const model = createModelFromHf(ckpt, 3);
    const state = model.toHfState();
    for (const [name, t] of fixture) {
      if (name.startsWith('bert.')) assert.deepEqual(state.get(name), t, name);
    }
    // HF's init for the head: LayerNorm ones/zeros, zero output bias.
    assert.ok(state.get('cls.predictions.transform.LayerNorm.weight')?.data.every((x) => x === 1));
    assert.ok(state.get('cls.predictions.bias')?.data.every((x) => x === 0));
    const logits = model.logitsAt(
      Int32Array.from([101, 103, 102]),
      Int32Array.from([1, 1, 1]),
      1,
      3,
      Int32Array.from([1]),
    );
    assert.deepEqual(logits.shape, [1, 745]);
    logits.dispose();
    model.dispose();
    assert.equal(tf.memory().numTensors, n0, 'import, inference and dispose leave no tensor behind');
  });

  const tolerance: Array<[RawDtype, number]> = [
    ['F16', 2 ** -11],
    ['BF16', 2 ** -8],
  ];
  for (const [dtype, rel] of tolerance) {
    void test(`${dtype} weights convert to float32 (relative error ≤ ${rel})`, async () => {
      const dir = variant(dtype, { tensors: (t) => entries(t).map((e) => ({ ...e, dtype })) });
      const ckpt = await importHfCheckpoint(dir);
      assert.deepEqual(ckpt.report.dtypes, { [dtype]: fixture.size });
      for (const [name, t] of fixture) {
        const got = ckpt.state.get(name)?.data;
        assert.ok(got, name);
        for (let i = 0; i < t.data.length; i++) {
          assert.ok(Math.abs(got[i] - t.data[i]) <= rel * Math.abs(t.data[i]) + 1e-7, `${name}[${i}]`);
        }
      }
      if (dtype === 'F16') {
        const w = fixture.get('cls.predictions.bias') as NamedTensor;
        assert.equal(
          ckpt.state.get('cls.predictions.bias')?.data[200],
          Math.fround(fromHalf(toHalf(w.data[200]))),
        );
      }
    });
  }

  void test('TF-style LayerNorm gamma/beta, a position_ids I64 buffer, a stored tied decoder and NSP head', async () => {
    const dir = variant('tfnames', {
      tensors: (t) => [
        ...entries(t).map((e) => ({
          ...e,
          name: e.name
            .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
            .replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        })),
        {
          name: 'bert.embeddings.position_ids',
          dtype: 'I64',
          shape: [1, 64],
          values: Array.from({ length: 64 }, (_, i) => i),
        },
        {
          name: 'cls.predictions.decoder.weight',
          shape: [745, 64],
          values: t.get('bert.embeddings.word_embeddings.weight')!.data,
        },
        { name: 'cls.predictions.decoder.bias', shape: [745], values: t.get('cls.predictions.bias')!.data },
        { name: 'cls.seq_relationship.weight', shape: [2, 64], values: new Float32Array(128) },
      ],
      config: (c) => ({ ...c, architectures: ['BertForPreTraining'] }),
    });
    const ckpt = await importHfCheckpoint(dir);
    assert.deepEqual(ckpt.report.initialised, []);
    assert.deepEqual(ckpt.report.warnings, []);
    assert.deepEqual(ckpt.report.ignored.map((i) => i.name).sort(), [
      'bert.embeddings.position_ids',
      'cls.seq_relationship.weight',
    ]);
    for (const [name, t] of fixture) assert.deepEqual(ckpt.state.get(name), t, name);
  });

  void test('an untied decoder is reported and the embeddings win', async () => {
    const dir = variant('untied', {
      tensors: (t) => [
        ...entries(t),
        { name: 'cls.predictions.decoder.weight', shape: [745, 64], values: new Float32Array(745 * 64) },
      ],
    });
    const ckpt = await importHfCheckpoint(dir);
    assert.equal(ckpt.report.warnings.length, 1);
    assert.match(
      ckpt.report.warnings[0],
      /cls\.predictions\.decoder\.weight differs from bert\.embeddings\.word_embeddings\.weight/,
    );
  });

  void test('sharded weights (model.safetensors.index.json)', async () => {
    const dir = variant('sharded', { drop: ['model.safetensors'] });
    const all = entries(fixture);
    const half = Math.floor(all.length / 2);
    const shards = [all.slice(0, half), all.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((list, i) => {
      const name = `model-0000${i + 1}-of-00002.safetensors`;
      writeRawSafetensors(
        path.join(dir, name),
        list.map((e) => ({ ...e, dtype: 'F32' as const })),
      );
      for (const e of list) weightMap[e.name] = name;
    });
    fs.writeFileSync(
      path.join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const ckpt = await importHfCheckpoint(dir);
    assert.equal(ckpt.report.weightFiles.length, 2);
    for (const [name, t] of fixture) assert.deepEqual(ckpt.state.get(name), t, name);
  });
});

void describe('import: folders that fail, naming the cause', () => {
  const cases: Array<{ name: string; dir: () => string; error: RegExp }> = [
    {
      name: 'pytorch_model.bin only → the one-line conversion command',
      dir: () => {
        const d = variant('bin', { drop: ['model.safetensors'] });
        fs.writeFileSync(path.join(d, 'pytorch_model.bin'), 'not really a pickle');
        return d;
      },
      error:
        /has pytorch_model\.bin but no model\.safetensors.*python -c "from transformers import AutoModelForMaskedLM as M; M\.from_pretrained\('.*'\)\.save_pretrained\('.*', safe_serialization=True\)"/,
    },
    {
      name: 'no weights at all',
      dir: () => variant('noweights', { drop: ['model.safetensors'] }),
      error: /has no model\.safetensors/,
    },
    {
      name: 'another model type',
      dir: () =>
        variant('deberta', {
          config: (c) => ({ ...c, model_type: 'deberta-v2', architectures: ['DebertaV2ForMaskedLM'] }),
        }),
      error: /model_type "deberta-v2" is not supported.*BERT, DistilBERT, RoBERTa and XLM-RoBERTa/,
    },
    {
      name: 'a BERT architecture without an MLM head to continue',
      dir: () =>
        variant('cls', { config: (c) => ({ ...c, architectures: ['BertForSequenceClassification'] }) }),
      error:
        /architectures \["BertForSequenceClassification"\] are not supported; import takes BertForMaskedLM, BertForPreTraining, BertModel/,
    },
    {
      name: 'a different activation',
      dir: () => variant('act', { config: (c) => ({ ...c, hidden_act: 'gelu_new' }) }),
      error: /hidden_act "gelu_new" is not supported/,
    },
    {
      name: 'config and weights disagree on a shape → the tensor is named',
      dir: () => variant('shape', { config: (c) => ({ ...c, intermediate_size: 256 }) }),
      error:
        /weight "bert\.encoder\.layer\.0\.intermediate\.dense\.(weight|bias)" has shape \[128(, 64)?\] but config\.json .* needs \[256(, 64)?\]/,
    },
    {
      name: 'a missing encoder weight is named',
      dir: () =>
        variant('missing', {
          tensors: (t) => entries(t).filter((e) => e.name !== 'bert.encoder.layer.1.output.dense.bias'),
        }),
      error: /lacks weight "bert\.encoder\.layer\.1\.output\.dense\.bias"/,
    },
    {
      name: 'no tokenizer files',
      dir: () => variant('notok', { drop: ['vocab.txt'] }),
      error: /has neither tokenizer\.json nor vocab\.txt/,
    },
    {
      name: 'a tokenizer larger than the embedding table',
      dir: () =>
        variant('bigvocab', { tensors: (t) => entries(t), config: (c) => ({ ...c, vocab_size: 700 }) }),
      error: /has shape \[745, 64\] but config\.json .* needs \[700, 64\]/,
    },
    {
      name: 'a truncated safetensors file names the file and the check',
      dir: () => {
        const d = variant('truncated', {});
        const f = path.join(d, 'model.safetensors');
        fs.truncateSync(f, fs.statSync(f).size - 100);
        return d;
      },
      error:
        /model\.safetensors: the tensors cover \d+ bytes of data but the file holds \d+ after the header \(truncated\)/,
    },
    {
      name: 'not a folder',
      dir: () => path.join(FIXTURE_DIR, 'config.json'),
      error: /is not a folder/,
    },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      await assert.rejects(() => importHfCheckpoint(c.dir()), c.error);
    });
  }
});
