/**
 * Export as a Hugging Face folder (the files transformers' BertForMaskedLM / AutoTokenizer read), and the
 * `mlm import` / `mlm export` commands run as a user runs them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../../../../server/ml/backend';
import { readWeights } from '../../../../../server/ml/checkpoint';
import {
  EXPORTED_FILES,
  exportRun,
  importHfCheckpoint,
  importToRunDir,
  readSafetensorsFile,
  tensorAsFloat32,
} from '../../../../../server/ml/hf';
import { CliError } from '../../../../../server/cli/command';
import { exportCommand } from '../../../../../server/cli/commands/export';
import { importCommand } from '../../../../../server/cli/commands/import';
import { runCli } from '../../../runCli';
import { copyFixture, FIXTURE_DIR, tempDir } from './hfHelpers';

const tmp = tempDir('export');
after(() => tmp.cleanup());

void describe('export of a run as a Hugging Face folder', () => {
  const runDir = path.join(tmp.dir, 'run');
  const out = path.join(tmp.dir, 'hf');
  before(async () => {
    await initBackend({ backend: 'cpu' });
    await importToRunDir(FIXTURE_DIR, runDir);
    await exportRun(runDir, out);
  });

  void test('writes exactly the files transformers reads, plus the model card', () => {
    assert.deepEqual(fs.readdirSync(out).sort(), [...EXPORTED_FILES].sort());
  });

  void test('config.json: BertForMaskedLM, model_type bert, snake_case fields', () => {
    const c = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(c.architectures, ['BertForMaskedLM']);
    assert.equal(c.model_type, 'bert');
    for (const key of Object.keys(c)) assert.match(key, /^[a-z0-9_]+$/, key);
    for (const key of [
      'vocab_size',
      'hidden_size',
      'num_hidden_layers',
      'num_attention_heads',
      'intermediate_size',
      'max_position_embeddings',
      'type_vocab_size',
      'layer_norm_eps',
      'hidden_act',
      'pad_token_id',
      'position_embedding_type',
    ]) {
      assert.deepEqual(c[key], fixture[key], key);
    }
  });

  void test('model.safetensors: F32, {"format": "pt"}, decoder tied (not stored), same weights', async () => {
    const st = await readSafetensorsFile(path.join(out, 'model.safetensors'));
    assert.deepEqual(st.metadata, { format: 'pt' });
    assert.ok([...st.entries.values()].every((e) => e.dtype === 'F32'));
    assert.ok(!st.entries.has('cls.predictions.decoder.weight'));
    const fixture = await readSafetensorsFile(path.join(FIXTURE_DIR, 'model.safetensors'));
    assert.deepEqual([...st.entries.keys()].sort(), [...fixture.entries.keys()].sort());
    for (const name of fixture.entries.keys()) {
      assert.deepEqual(tensorAsFloat32(st, name), tensorAsFloat32(fixture, name), name);
    }
  });

  void test('tokenizer files: vocab.txt unchanged, tokenizer_config and special tokens for AutoTokenizer', () => {
    assert.equal(
      fs.readFileSync(path.join(out, 'vocab.txt'), 'utf8'),
      fs.readFileSync(path.join(FIXTURE_DIR, 'vocab.txt'), 'utf8'),
    );
    const tc = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(tc.tokenizer_class, 'BertTokenizer');
    assert.equal(tc.do_lower_case, true);
    assert.equal(tc.mask_token, '[MASK]');
    const sp = JSON.parse(fs.readFileSync(path.join(out, 'special_tokens_map.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(sp, {
      unk_token: '[UNK]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      cls_token: '[CLS]',
      mask_token: '[MASK]',
    });
    const tj = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')) as {
      model: { type: string; vocab: Record<string, number> };
    };
    assert.equal(tj.model.type, 'WordPiece');
    assert.equal(tj.model.vocab['[MASK]'], 103);
  });

  void test('README.md model card: front matter, data, steps, metrics, usage', () => {
    const card = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    assert.match(card, /^---\nlibrary_name: transformers\npipeline_tag: fill-mask\n/);
    assert.match(card, /base_model: "hf-tiny-bert"/);
    for (const section of ['## Data', '## Training', '## Metrics (held-out split)', '## Use']) {
      assert.ok(card.includes(section), section);
    }
    assert.match(card, /- steps: 0 /);
    assert.ok(!card.includes(tmp.dir), 'the card must not leak local paths');
  });

  void test('export → import gives the same weights and the same tokenizer', async () => {
    const back = await importHfCheckpoint(out);
    const saved = readWeights(path.join(runDir, 'checkpoints', 'step-0'));
    assert.equal(back.state.size, saved.size);
    for (const [name, t] of saved) assert.deepEqual(back.state.get(name), t, name);
    assert.equal(back.tokenizer.vocabSize, 745);
    assert.equal(back.tokenizer.lowercase, true);
  });

  void test('refuses a non-empty output folder unless forced', async () => {
    await assert.rejects(() => exportRun(runDir, out), /is not empty .* pass --force/);
    await exportRun(runDir, out, { force: true });
  });

  void test('a folder without checkpoints is refused with what to do', async () => {
    const empty = path.join(tmp.dir, 'empty-run');
    fs.mkdirSync(empty);
    await assert.rejects(() => exportRun(empty, path.join(tmp.dir, 'x')), /no complete checkpoint yet/);
  });
});

void describe('the mlm import / mlm export commands', () => {
  const mlm = (...args: string[]) => runCli(args);

  void test('import with --corpus --add-words, then export', async () => {
    const corpus = path.join(tmp.dir, 'domain');
    fs.mkdirSync(corpus);
    fs.writeFileSync(
      path.join(corpus, 'notes.txt'),
      'the tokenizer tokenizer tokenizer embeddings embeddings\n'.repeat(3),
    );
    const run = path.join(tmp.dir, 'cli-run');
    const r = await mlm(
      'import',
      '--hf',
      FIXTURE_DIR,
      '--out',
      run,
      '--corpus',
      corpus,
      '--add-words',
      '5',
      '--min-frequency',
      '2',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported BertForMaskedLM from .*hf-tiny-bert: 42 weights/);
    assert.match(r.stdout, /vocabulary coverage of the corpus before adding words:\n/);
    assert.match(r.stdout, /added 2 word\(s\) \(vocabulary now 747 tokens\):\n +9 {2}tokenizer {2}\(was /);
    assert.match(r.stdout, /vocabulary coverage after adding words:\nwords: \d+/);
    const out = path.join(tmp.dir, 'cli-hf');
    const e = await mlm('export', '--run', run, '--out', out);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /exported step 0 [\s\S]*\nto .*cli-hf: config\.json, model\.safetensors/);
    const c = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { vocab_size: number };
    assert.equal(c.vocab_size, 747);
    assert.equal(fs.readFileSync(path.join(out, 'vocab.txt'), 'utf8').split('\n').at(-2), 'embeddings');
  });

  void test('a pytorch_model.bin-only folder fails (exit 1) with the conversion command; nothing is written', async () => {
    const bin = copyFixture('cli-bin', ['config.json', 'vocab.txt']);
    fs.writeFileSync(path.join(bin.dir, 'pytorch_model.bin'), '');
    const never = path.join(tmp.dir, 'never');
    await assert.rejects(
      () => importCommand.run(['--hf', bin.dir, '--out', never]),
      (err: unknown) =>
        err instanceof CliError &&
        err.exitCode === 1 &&
        /pytorch_model\.bin but no model\.safetensors.*save_pretrained/.test(err.message),
    );
    bin.cleanup();
    assert.ok(!fs.existsSync(never));
  });

  void test('usage errors exit 2', async () => {
    const usage = (err: unknown) => err instanceof CliError && err.exitCode === 2;
    await assert.rejects(() => importCommand.run(['--out', path.join(tmp.dir, 'x')]), usage);
    await assert.rejects(
      () => importCommand.run(['--hf', FIXTURE_DIR, '--out', tmp.dir, '--add-words', '3']),
      usage,
    );
    await assert.rejects(() => exportCommand.run(['--run', tmp.dir]), usage);
    await assert.rejects(() => exportCommand.run(['--run', tmp.dir, '--out', tmp.dir, '--bogus']), usage);
  });
});
