/**
 * The launch bundle without PyTorch: the .npy writer's bytes, what `mlm launch` writes (shards that match their
 * manifest, the recipe, launch.sh, the README's cluster and run_mlm.py parts, the model folder), and the refusals of
 * `mlm launch` and `mlm launch import`, each naming the cause and what to do.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { parseRunConfig, type ResolvedRunConfig } from '../../../../../protocol/runConfig';
import { initBackend } from '../../../../../server/ml/backend';
import { importLaunchOutput, writeLaunchBundle, type LaunchResult } from '../../../../../server/ml/launch';
import { npyBytes } from '../../../../../server/ml/launch/npy';
import { runCli } from '../../../runCli';
import { launchFixture, removeFixture, tinyRunConfig, type LaunchFixture } from './launchHelpers';

const NPY_CASES = [
  {
    name: 'int32 vector',
    data: Int32Array.from([1, -2, 3]),
    shape: [3],
    header: "'descr': '<i4'",
    dims: '(3,)',
  },
  {
    name: 'int32 matrix',
    data: new Int32Array(8).fill(7),
    shape: [2, 4],
    header: "'descr': '<i4'",
    dims: '(2, 4)',
  },
  {
    name: 'uint8 matrix',
    data: Uint8Array.from([0, 1, 1, 0, 1, 0]),
    shape: [3, 2],
    header: "'descr': '|u1'",
    dims: '(3, 2)',
  },
];

void describe('npy writer', () => {
  for (const c of NPY_CASES) {
    void test(`${c.name}: numpy's v1.0 layout, 64-byte aligned header, the raw little-endian data`, () => {
      const bytes = npyBytes(c.data, c.shape);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const headerLength = bytes[8] | (bytes[9] << 8);
      assert.equal((10 + headerLength) % 64, 0);
      const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString('latin1');
      assert.ok(header.includes(c.header) && header.includes(`'shape': ${c.dims}`), header);
      assert.ok(header.endsWith('\n'));
      assert.deepEqual(
        Buffer.from(bytes.subarray(10 + headerLength)),
        Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength),
      );
    });
  }
  void test('a shape that does not hold the data is refused', () => {
    assert.throws(() => npyBytes(new Int32Array(5), [2, 3]), /shape \[2, 3\] holds 6 values, the data has 5/);
  });
});

const resolved = (raw: object): ResolvedRunConfig => {
  const r = parseRunConfig(raw);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
};

void describe('mlm launch: the bundle', () => {
  let f: LaunchFixture;
  let r: LaunchResult;
  let bundle: string;
  let tensorsBefore: number;
  before(async () => {
    f = launchFixture(tinyRunConfig({ training: { maxSteps: 12 } }), 4, 40);
    bundle = path.join(f.scratch, 'bundle');
    const config = resolved(JSON.parse(fs.readFileSync(f.configFile, 'utf8')) as object);
    await initBackend({ backend: 'cpu' });
    tensorsBefore = tf.memory().numTensors;
    r = await writeLaunchBundle({
      source: { kind: 'config', config, file: f.configFile },
      cwd: f.ws,
      outDir: bundle,
      nnodes: 2,
      nprocPerNode: 4,
    });
  });
  after(() => removeFixture(f));

  void test('the initial model is built and disposed: no tensor left behind', () => {
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });

  void test('every shard file has the size and sha256 of its manifest entry; rows add up to the examples', () => {
    const m = JSON.parse(
      fs.readFileSync(path.join(bundle, 'data', 'manifest.json'), 'utf8'),
    ) as typeof r.manifest;
    assert.deepEqual(m, r.manifest);
    for (const split of ['train', 'validation'] as const) {
      const shards = m.shards.filter((s) => s.split === split);
      assert.equal(
        shards.reduce((s, x) => s + x.rows, 0),
        m.splits[split].examples,
      );
      assert.ok(m.splits[split].examples > 0, `${split} has examples`);
      for (const s of shards) {
        for (const file of Object.values(s.files)) {
          const bytes = fs.readFileSync(path.join(bundle, 'data', file.file));
          assert.equal(bytes.length, file.bytes, file.file);
          assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, file.file);
        }
        assert.deepEqual(s.files.ids.shape, [s.rows, m.seqLen]);
        assert.deepEqual(s.files.lengths.shape, [s.rows]);
      }
    }
  });

  void test('bundle.json holds the recipe: plan, masking, special ids, the launch shape', () => {
    const recipe = JSON.parse(fs.readFileSync(path.join(bundle, 'bundle.json'), 'utf8')) as typeof r.recipe;
    assert.equal(recipe.plan.totalSteps, 12);
    assert.deepEqual(recipe.launch, { nnodes: 2, nprocPerNode: 4 });
    assert.deepEqual(recipe.data.masking, {
      probability: 0.15,
      maskFraction: 0.8,
      randomFraction: 0.1,
      wholeWord: false,
    });
    assert.equal(recipe.special.mask, r.recipe.special.mask);
    assert.match(recipe.initialWeights, /a new model/);
  });

  void test('model/ is a Hugging Face folder of the tokenizer and config; train.py is the template', () => {
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'model', 'config.json'), 'utf8')) as {
      architectures: string[];
      vocab_size: number;
      hidden_size: number;
    };
    assert.deepEqual(config.architectures, ['BertForMaskedLM']);
    assert.equal(config.hidden_size, 32);
    assert.equal(r.manifest.vocabSize, config.vocab_size);
    for (const file of ['model.safetensors', 'vocab.txt', 'tokenizer.json']) {
      assert.ok(fs.existsSync(path.join(bundle, 'model', file)), file);
    }
    const template = fs.readFileSync(
      path.join(__dirname, '../../../../../server/ml/launch/torchrun/train.py'),
    );
    assert.deepEqual(fs.readFileSync(path.join(bundle, 'train.py')), template);
  });

  void test('launch.sh runs torchrun with c10d rendezvous and the asked shape; README covers clusters and run_mlm.py', () => {
    const sh = fs.readFileSync(path.join(bundle, 'launch.sh'), 'utf8');
    assert.ok(fs.statSync(path.join(bundle, 'launch.sh')).mode & 0o100, 'executable');
    assert.match(sh, /NNODES="\$\{NNODES:-2\}"/);
    assert.match(sh, /NPROC_PER_NODE="\$\{NPROC_PER_NODE:-4\}"/);
    assert.match(sh, /--rdzv_backend c10d --rdzv_endpoint "\$MASTER_ADDR:\$MASTER_PORT"/);
    const readme = fs.readFileSync(path.join(bundle, 'README.md'), 'utf8');
    assert.match(readme, /#SBATCH --nodes=2/);
    assert.match(readme, /mlm launch import --bundle/);
    assert.match(readme, /accelerate launch --num_machines 2 --num_processes 8 run_mlm.py/);
    assert.match(readme, /--per_device_train_batch_size 1 /);
    assert.match(readme, /--mlm_probability 0.15/);
    assert.match(readme, /--max_steps 12/);
    assert.equal(
      fs.readFileSync(path.join(bundle, 'requirements.txt'), 'utf8'),
      'torch>=1.13\nnumpy>=1.21\n',
    );
  });

  void test('a non-empty --out is refused unless --force', async () => {
    await assert.rejects(
      writeLaunchBundle({
        source: { kind: 'config', config: r.recipe.runConfig, file: f.configFile },
        cwd: f.ws,
        outDir: bundle,
        nnodes: 1,
        nprocPerNode: 1,
      }),
      /is not empty .*pass --force/,
    );
  });

  void test('mlm launch import refuses a bundle that has not run, naming launch.sh', async () => {
    await assert.rejects(
      importLaunchOutput({ bundleDir: bundle, runDir: path.join(f.scratch, 'run') }),
      /has no complete checkpoint .*run the bundle first \(\.\/launch\.sh/,
    );
  });
});

const REFUSALS = [
  {
    name: 'no --engine',
    args: ['launch', '--run', 'x.mlm.json', '--out', 'b'],
    code: 2,
    error: /missing --engine/,
  },
  {
    name: 'another engine',
    args: ['launch', '--engine', 'slurm', '--run', 'x', '--out', 'b'],
    code: 2,
    error: /unknown --engine slurm: use --engine torchrun/,
  },
  {
    name: 'no --out',
    args: ['launch', '--engine', 'torchrun', '--run', 'x'],
    code: 2,
    error: /missing --out BUNDLE/,
  },
  {
    name: '0 nodes',
    args: ['launch', '--engine', 'torchrun', '--run', 'x', '--out', 'b', '--nnodes', '0'],
    code: 2,
    error: /--nnodes must be a whole number ≥ 1/,
  },
  {
    name: 'a missing config',
    args: ['launch', '--engine', 'torchrun', '--run', 'nope.mlm.json', '--out', 'b'],
    code: 1,
    error: /--run nope.mlm.json does not exist/,
  },
  {
    name: 'import without a bundle',
    args: ['launch', 'import', '--bundle', '.', '--out', 'r'],
    code: 1,
    error: /is not a launch bundle \(no bundle.json\)/,
  },
];

void describe('mlm launch: refusals name the cause', () => {
  for (const c of REFUSALS) {
    void test(c.name, async () => {
      const r = await runCli(c.args, { cwd: path.join(__dirname) });
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.error);
    });
  }
  void test('a fine-tune config is refused (launch hands over pretraining)', async () => {
    const config = resolved({ task: { train: 'x.csv', init: 'run' } });
    await assert.rejects(
      writeLaunchBundle({
        source: { kind: 'config', config, file: 'x' },
        cwd: '.',
        outDir: 'b',
        nnodes: 1,
        nprocPerNode: 1,
      }),
      /fine-tunes a task .*pretraining only/,
    );
  });
});
