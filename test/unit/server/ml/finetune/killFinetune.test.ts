/**
 * Kill during fine-tuning: a fine-tune run in a child process is SIGKILLed mid-epoch (step 7 of 12, after the
 * checkpoint at step 6, 4 steps an epoch); the resume continues from the newest complete checkpoint with the same
 * label map and data order — its losses equal a run that was never killed — and its metrics have each step once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { listCheckpoints, readMetrics } from '../../../../../server/ml/checkpoint';
import { readFinetuneRecord } from '../../../../../server/ml/finetune';
import { resolveFinetuneConfig } from '../../../../../server/ml/finetune/config';
import { runFinetune } from '../../../../../server/ml/finetune/run';
import { FIXTURE_DIR, tempDir } from '../hf/hfHelpers';

const t = tempDir('ft-kill');
before(async () => {
  await initBackend({ backend: 'cpu' });
});
after(() => t.cleanup());

void describe('kill during fine-tuning', () => {
  void test('reliability: 33 kill during fine-tuning — SIGKILL mid-epoch, the resume continues from the newest complete checkpoint with the same labels and data order; metrics without a gap', async () => {
    const words = ['cat', 'dog', 'river', 'capital', 'france', 'london', 'paris', 'bank'];
    const rows = ['text,label'];
    for (let i = 0; i < 16; i++)
      rows.push(`the ${words[i % 8]} and the ${words[(i * 3) % 8]},${['a', 'b', 'c'][i % 3]}`);
    fs.writeFileSync(path.join(t.dir, 'd.csv'), `${rows.join('\n')}\n`);
    const config = resolveFinetuneConfig({
      task: {
        train: path.join(t.dir, 'd.csv'),
        eval: path.join(t.dir, 'd.csv'),
        init: FIXTURE_DIR,
        dropout: 0.1,
        evalEvery: 3,
      },
      training: { maxSteps: 12, batchSize: 4, lr: 1e-3, seed: 9, logEvery: 1 },
      backend: 'cpu',
    });
    const killed = path.join(t.dir, 'killed');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'finetuneChild.ts'), JSON.stringify(config), killed],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exit = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_, signal) => r(signal)));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^step 7$/m.test(out)) resolve();
      });
      void exit.then(() => reject(new Error(`the child ended before step 7: ${out}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exit, 'SIGKILL');
    const labels = readFinetuneRecord(killed).head.labels;
    assert.deepEqual(
      listCheckpoints(killed).map((c) => c.step),
      [3, 6],
    );

    const resumed = await runFinetune(config, { out: killed, resume: true });
    assert.equal(resumed.stoppedBy, 'max-steps', resumed.error);
    assert.deepEqual(readFinetuneRecord(killed).head.labels, labels, 'the same label map');
    const train = (d: string) => readMetrics(d).filter((m) => m.split === 'train');
    assert.deepEqual(
      train(killed).map((m) => m.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
      'each step once',
    );
    const straight = path.join(t.dir, 'straight');
    assert.equal((await runFinetune(config, { out: straight })).stoppedBy, 'max-steps');
    assert.deepEqual(
      train(killed).map((m) => m.loss),
      train(straight).map((m) => m.loss),
      'the same data order and state: the losses of a run never killed',
    );
  });
});
