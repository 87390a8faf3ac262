import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../../runCli';
import { syntheticWorkspace } from './trainFixtures';

let ws: string;
before(() => {
  ws = syntheticWorkspace(3, 60);
});
after(() => fs.rmSync(ws, { recursive: true, force: true }));

/** `mlm …` from the repository root. */
const mlm = (...argv: string[]) => runCli(argv);

void describe('mlm train / fill / eval', () => {
  void test('invalid flags fail before training with the field, the value and the range', async () => {
    const r = await mlm(
      'train',
      '--lr=-1',
      '--seq-len',
      '4',
      '--epochs',
      '0',
      '--out',
      path.join(ws, 'runs'),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /training\.lr must be > 0, got -1/);
    assert.match(r.stderr, /data\.seqLen must be >= 8, got 4/);
    assert.match(r.stderr, /training\.epochs must be > 0, got 0/);
    assert.equal(fs.existsSync(path.join(ws, 'runs')), false);
  });

  void test('train → summary; fill and eval use the run', async () => {
    const config = path.join(ws, 'tiny.mlm.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        tokenizer: { vocabSize: 48, minFrequency: 1 },
        model: {
          overrides: {
            hiddenSize: 16,
            numHiddenLayers: 1,
            numAttentionHeads: 2,
            intermediateSize: 32,
            maxPositionEmbeddings: 16,
          },
        },
        data: { seqLen: 16 },
        training: { batchSize: 4, logEvery: 1 },
        threads: 1,
      }),
    );
    const out = path.join(ws, 'runs');
    const t = await mlm(
      'train',
      '--config',
      config,
      '--corpus',
      ws,
      '--max-steps',
      '3',
      '--backend',
      'wasm',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(t.code, 0, t.stderr + t.stdout);
    assert.match(t.stdout, /Run \S+: 3 steps/);
    assert.match(t.stdout, /best eval: +loss [\d.]+, masked-token accuracy/);
    assert.match(t.stdout, /mlm fill --run /);
    const [runId] = fs.readdirSync(out);
    const runDir = path.join(out, runId);

    const [f, e1, e2] = await Promise.all([
      mlm('fill', '--run', runDir, '--json', '--top-k', '3', 'the [MASK] eats [MASK] .'),
      mlm('eval', '--run', runDir, '--corpus', ws, '--json'),
      mlm('eval', '--run', runDir, '--corpus', ws, '--json'),
    ]);
    assert.equal(f.code, 0, f.stderr);
    const filled = JSON.parse(f.stdout) as {
      masks: Array<Array<{ token: string; score: number }>>;
      joint: Array<{ tokens: string[]; sequence: string; pll: number }>;
    };
    assert.equal(filled.masks.length, 2);
    assert.equal(filled.masks[0].length, 3);
    assert.ok(
      filled.joint.length >= 1 &&
        filled.joint.every((j) => j.tokens.length === 2 && !j.sequence.includes('[MASK]')),
    );

    const tf = await mlm(
      'fill',
      '--run',
      runDir,
      '--beam',
      '2',
      '--targets',
      'the,eats',
      'the [MASK] eats [MASK] .',
    );
    assert.equal(tf.code, 0, tf.stderr);
    assert.match(tf.stdout, /best completions \(joint\)/);
    const shown = [...tf.stdout.matchAll(/^ {4}(\S+) +\d/gm)].map((m) => m[1]);
    assert.ok(shown.length >= 2 && shown.every((w) => w === 'the' || w === 'eats'), tf.stdout);
    assert.equal((await mlm('fill', '--run', runDir, '--beam', '99', 'a [MASK]')).code, 2);

    assert.equal(e1.code, 0, e1.stderr);
    const a = JSON.parse(e1.stdout) as { loss: number; accuracy: number; perplexity: number; tokens: number };
    assert.ok(a.tokens > 0 && Number.isFinite(a.loss) && a.perplexity > 1);
    assert.deepEqual(JSON.parse(e2.stdout), a, 'fixed eval masks: the same numbers every time');

    const missing = await mlm('fill', '--run', path.join(ws, 'nope'), 'a [MASK]');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist: pass a run folder/);
  });
  void test('train --init continues a Hugging Face model: its shape and vocabulary, the run named after it', async () => {
    const hf = path.resolve(__dirname, '../../../../fixtures/hf-tiny-bert');
    const out = path.join(ws, 'runs-init');
    const t = await mlm(
      'train',
      '--init',
      hf,
      '--corpus',
      ws,
      '--seq-len',
      '16',
      '--batch-size',
      '4',
      '--max-steps',
      '2',
      '--backend',
      'wasm',
      '--threads',
      '1',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(t.code, 0, t.stderr + t.stdout);
    const [runId] = fs.readdirSync(out);
    assert.match(runId, /^\d{8}-\d{6}-hf-tiny-bert-ft$/);
    const runDir = path.join(out, runId);
    const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as {
      model: { init: string };
    };
    assert.equal(config.model.init, hf);
    const vocab = fs.readFileSync(path.join(runDir, 'vocab.txt'), 'utf8');
    assert.equal(vocab, fs.readFileSync(path.join(hf, 'vocab.txt'), 'utf8'), 'the init tokenizer is used');
    const [ck] = fs.readdirSync(path.join(runDir, 'checkpoints')).filter((d) => d.startsWith('step-'));
    const hfConfig = JSON.parse(
      fs.readFileSync(path.join(runDir, 'checkpoints', ck, 'config.json'), 'utf8'),
    ) as { hidden_size: number; vocab_size: number };
    assert.deepEqual([hfConfig.hidden_size, hfConfig.vocab_size], [64, 745]);

    const missing = await mlm('train', '--init', path.join(ws, 'no-such-model'), '--out', out);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--init \S+ does not exist: pass a Hugging Face folder/);
  });
});
