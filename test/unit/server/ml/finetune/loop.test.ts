/**
 * The fine-tune loop on the tiny fixture checkpoint: an exact resume (3 + 3 steps = 6 steps, dropout on), freezing,
 * and a clear error for a bad start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../../../../server/ml/backend';
import { readMetrics, readWeights, resolveCheckpoint } from '../../../../../server/ml/checkpoint';
import { resolveFinetuneConfig } from '../../../../../server/ml/finetune/config';
import { runFinetune } from '../../../../../server/ml/finetune/run';
import { loadInitCheckpoint, type HfCheckpoint } from '../../../../../server/ml/hf/importHf';
import { FIXTURE_DIR, tempDir } from '../hf/hfHelpers';

let ckpt: HfCheckpoint;
const temps: Array<() => void> = [];
before(async () => {
  await initBackend({ backend: 'cpu' });
  ckpt = await loadInitCheckpoint(FIXTURE_DIR);
});
after(() => temps.forEach((c) => c()));

void describe('the fine-tune loop', () => {
  function data(): string {
    const t = tempDir('ft-loop');
    temps.push(t.cleanup);
    const words = ['cat', 'dog', 'river', 'capital', 'france', 'london', 'paris', 'bank'];
    const rows = ['text,label'];
    for (let i = 0; i < 16; i++)
      rows.push(`the ${words[i % 8]} and the ${words[(i * 3) % 8]},${i % 2 ? 'odd' : 'even'}`);
    fs.writeFileSync(path.join(t.dir, 'd.csv'), `${rows.join('\n')}\n`);
    return t.dir;
  }
  const cfg = (dir: string, extra: { maxSteps: number; freezeLayers?: number }) =>
    resolveFinetuneConfig({
      task: {
        train: path.join(dir, 'd.csv'),
        eval: path.join(dir, 'd.csv'),
        init: FIXTURE_DIR,
        dropout: 0.1,
        evalEvery: 3,
        freezeLayers: extra.freezeLayers,
      },
      training: { maxSteps: extra.maxSteps, batchSize: 4, lr: 1e-3, seed: 9, logEvery: 1 },
      backend: 'cpu',
    });

  void test('3 steps + resume to 6 = 6 steps straight (weights and losses), dropout on', async () => {
    const dir = data();
    const straight = path.join(dir, 'straight');
    const split = path.join(dir, 'split');
    assert.equal((await runFinetune(cfg(dir, { maxSteps: 6 }), { out: straight })).stoppedBy, 'max-steps');
    // Stopped after step 3 (the same plan: a lower max-steps would change the learning-rate schedule).
    const stop = new AbortController();
    const first = await runFinetune(cfg(dir, { maxSteps: 6 }), {
      out: split,
      control: { signal: stop.signal },
      callbacks: { onMetrics: (m) => (m.split === 'train' && m.step === 3 ? stop.abort() : undefined) },
    });
    assert.equal(first.stoppedBy, 'stopped');
    assert.equal(first.steps, 3);
    const resumed = await runFinetune(cfg(dir, { maxSteps: 6 }), { out: split, resume: true });
    assert.equal(resumed.stoppedBy, 'max-steps', resumed.error);
    const losses = (d: string) =>
      readMetrics(d)
        .filter((m) => m.split === 'train')
        .map((m) => m.loss);
    assert.deepEqual(losses(split), losses(straight));
    const w = (d: string) =>
      readWeights(path.join(d, 'checkpoints', 'step-6')).get('classifier.weight')!.data;
    assert.deepEqual(w(split), w(straight));
    // The best checkpoint is the one `resolveCheckpoint` (predict, eval, export) picks.
    assert.equal(path.basename(resolveCheckpoint(straight).checkpointDir), `step-${resumed.bestStep}`);
  });

  void test('--freeze-layers keeps the embeddings and the lowest layers unchanged', async () => {
    const dir = data();
    const out = path.join(dir, 'frozen');
    const s = await runFinetune(cfg(dir, { maxSteps: 3, freezeLayers: 1 }), { out });
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    const after = readWeights(path.join(out, 'checkpoints', 'step-3'));
    for (const name of [
      'bert.embeddings.word_embeddings.weight',
      'bert.encoder.layer.0.output.dense.weight',
    ]) {
      assert.deepEqual(after.get(name)!.data, ckpt.state.get(name)!.data, name);
    }
    assert.notDeepEqual(
      after.get('bert.encoder.layer.1.output.dense.weight')!.data,
      ckpt.state.get('bert.encoder.layer.1.output.dense.weight')!.data,
    );
  });

  void test('a bad start is one clear error, and the run folder says it failed', async () => {
    const dir = data();
    const s = await runFinetune(
      resolveFinetuneConfig({ task: { train: path.join(dir, 'd.csv'), init: path.join(dir, 'nope') } }),
      { out: path.join(dir, 'bad') },
    );
    assert.equal(s.stoppedBy, 'error');
    assert.match(s.error ?? '', /nope/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'bad', 'run.json'), 'utf8')).status, 'failed');
  });
});
