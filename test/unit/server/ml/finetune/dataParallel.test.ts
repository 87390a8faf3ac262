/**
 * Data-parallel fine-tuning (training.dataParallel, `mlm finetune --data-parallel N`): each batch split across
 * replica threads gives the steps of one thread — per task (targets per row for regression, several scored tokens
 * per row for token classification), with class-weighted cross-entropy (a share's weight is its class-weight mass)
 * and frozen layers (their weights reach the replicas once).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../../../../server/ml/backend';
import { readMetrics, readWeights } from '../../../../../server/ml/checkpoint';
import { resolveFinetuneConfig, type FinetuneConfigInput } from '../../../../../server/ml/finetune/config';
import { runFinetune } from '../../../../../server/ml/finetune/run';
import { ReplicaPool } from '../../../../../server/ml/train/parallel';
import { spawnReplica } from '../../../../../server/worker/replicas';
import { FIXTURE_DIR, tempDir } from '../hf/hfHelpers';

const temps: Array<() => void> = [];
before(async () => {
  await initBackend({ backend: 'cpu' });
});
after(() => temps.forEach((c) => c()));

const WORDS = ['cat', 'dog', 'river', 'capital', 'france', 'london', 'paris', 'bank'];

/** 15 rows of the task's data (an odd batch of 5 splits 2 + 3); classification has 10 "even" and 5 "odd". */
function writeData(dir: string, task: 'classification' | 'regression' | 'token'): string {
  const text = (i: number) =>
    `the ${WORDS[i % 8]} and the ${WORDS[(i * 3) % 8]} by the ${WORDS[(i * 5) % 8]}`;
  if (task === 'token') {
    const rows = Array.from({ length: 15 }, (_, i) => {
      const tokens = text(i).split(' ');
      const tags = tokens.map((w) =>
        w === 'paris' || w === 'london' ? 'B-LOC' : w === 'france' ? 'B-LOC' : 'O',
      );
      return JSON.stringify({ tokens, tags });
    });
    fs.writeFileSync(path.join(dir, 'd.jsonl'), `${rows.join('\n')}\n`);
    return path.join(dir, 'd.jsonl');
  }
  const rows = ['text,label'];
  for (let i = 0; i < 15; i++)
    rows.push(`${text(i)},${task === 'regression' ? ((i % 7) / 3).toFixed(3) : i % 3 ? 'even' : 'odd'}`);
  fs.writeFileSync(path.join(dir, 'd.csv'), `${rows.join('\n')}\n`);
  return path.join(dir, 'd.csv');
}

const CASES: Array<{
  name: string;
  task: 'classification' | 'regression' | 'token';
  extra?: Partial<FinetuneConfigInput['task']>;
}> = [
  {
    name: 'classification, balanced class weights, the lowest layer frozen',
    task: 'classification',
    extra: { classWeights: 'balanced', freezeLayers: 1 },
  },
  { name: 'regression (float targets per row)', task: 'regression' },
  { name: 'token classification (several scored tokens per row)', task: 'token' },
];

void describe('data-parallel fine-tuning', () => {
  after(() => assert.equal(ReplicaPool.liveThreads, 0, 'every replica thread has ended'));

  for (const c of CASES) {
    void test(`2 replicas give the losses and weights of 1 thread for 4 steps: ${c.name}`, async () => {
      const t = tempDir('ft-dp');
      temps.push(t.cleanup);
      const file = writeData(t.dir, c.task);
      const run = async (dataParallel: number) => {
        const logs: string[] = [];
        const out = path.join(t.dir, `dp${dataParallel}`);
        const config = resolveFinetuneConfig({
          task: {
            kind: c.task,
            train: file,
            eval: file,
            init: FIXTURE_DIR,
            dropout: 0,
            evalEvery: 100,
            ...c.extra,
          },
          training: { maxSteps: 4, batchSize: 5, lr: 2e-3, seed: 5, logEvery: 1, dataParallel },
          backend: 'cpu',
        });
        const s = await runFinetune(config, {
          out,
          spawnReplica,
          callbacks: { onLog: (_level, message) => logs.push(message) },
        });
        assert.equal(s.stoppedBy, 'max-steps', s.error);
        const losses = readMetrics(out)
          .filter((m) => m.split === 'train')
          .map((m) => m.loss);
        const weights = readWeights(path.join(out, 'checkpoints', 'step-4'));
        return { losses, weights, logs };
      };
      const one = await run(1);
      const two = await run(2);
      assert.ok(
        two.logs.some((l) => l.startsWith('data parallel: 2 replicas')),
        `the run used 2 replicas:\n${two.logs.join('\n')}`,
      );
      assert.ok(!one.logs.some((l) => l.startsWith('data parallel:')));
      assert.equal(two.losses.length, 4);
      for (const [i, l] of one.losses.entries())
        assert.ok(
          Math.abs(l - two.losses[i]) < 1e-4,
          `step ${i + 1}: loss ${l} (1 thread) vs ${two.losses[i]} (2)`,
        );
      let diff = 0;
      for (const [name, a] of one.weights) {
        const b = two.weights.get(name)!.data;
        for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b[i]));
      }
      assert.ok(diff < 1e-4, `weights differ by ${diff}`);
      assert.equal(ReplicaPool.liveThreads, 0);
    });
  }
});
