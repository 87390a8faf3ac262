import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkpointModelConfig,
  newRunFolder,
  runsRootFor,
  writeRunConfig,
} from '../../../../../server/ml/checkpoint';
import { modelConfigFor } from '../../../../../server/ml/train/modelConfig';
import { tinyConfig } from '../train/trainFixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-rundir-'));
void after(() => fs.rmSync(tmp, { recursive: true, force: true }));

void describe('newRunFolder (the one place run folders are made)', () => {
  void test('goes to <cwd>/.mlm/runs or output.dir, and makes a taken id unique', () => {
    const config = tinyConfig();
    assert.equal(runsRootFor(config, tmp), path.join(tmp, '.mlm', 'runs'));
    assert.equal(
      runsRootFor({ ...config, output: { ...config.output, dir: 'out' } }, tmp),
      path.join(tmp, 'out'),
    );
    const a = newRunFolder(config, tmp);
    const b = newRunFolder(config, tmp);
    assert.notEqual(a.runDir, b.runDir);
    assert.ok(fs.statSync(a.runDir).isDirectory() && fs.statSync(b.runDir).isDirectory());
    assert.equal(path.dirname(a.runDir), path.join(tmp, '.mlm', 'runs'));
  });

  void test('a caller-chosen id that already holds a run is refused', () => {
    const config = tinyConfig();
    const { runDir } = newRunFolder(config, tmp, 'chosen');
    assert.equal(path.basename(runDir), 'chosen');
    writeRunConfig(runDir, config);
    assert.throws(() => newRunFolder(config, tmp, 'chosen'), /run chosen already exists .*resume it/);
  });
});

void describe('checkpointModelConfig', () => {
  const config = tinyConfig();
  const cases: { name: string; file?: string; expect: RegExp | 'saved' | 'run config' }[] = [
    { name: 'no config.json (an older checkpoint): the run config shape', expect: 'run config' },
    {
      name: 'a valid config.json: its shape',
      file: JSON.stringify({
        model_type: 'bert',
        vocab_size: 50,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 32,
      }),
      expect: 'saved',
    },
    {
      name: 'torn JSON: an error naming the file',
      file: '{"model_type": "be',
      expect: /config\.json is not valid JSON/,
    },
    {
      name: 'an unsupported activation: the strict parser refuses it',
      file: JSON.stringify({ model_type: 'bert', vocab_size: 50, hidden_act: 'relu' }),
      expect: /hidden_act "relu" is not supported/,
    },
    {
      name: 'a bad field: the strict parser names it',
      file: JSON.stringify({ model_type: 'bert', vocab_size: -1 }),
      expect: /vocab_size must be an integer ≥ 1/,
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'ck-'));
      if (c.file !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), c.file);
      if (c.expect === 'run config') {
        assert.deepEqual(checkpointModelConfig(dir, config, 64), modelConfigFor(config, 64));
      } else if (c.expect === 'saved') {
        const m = checkpointModelConfig(dir, config, 64);
        assert.equal(m.arch, 'bert');
        assert.equal(m.vocabSize, 50);
        assert.equal(m.arch === 'bert' && m.hiddenSize, 8);
      } else {
        assert.throws(() => checkpointModelConfig(dir, config, 64), c.expect);
      }
    });
  }
});
