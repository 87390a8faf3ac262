/**
 * The bundle on PyTorch DDP and back (#14): `mlm launch` → launch.sh (torchrun, 2 processes, gloo on the CPU) for
 * 30 steps of a tiny BERT → `mlm launch import` → the run's curve is in metrics, `mlm fill` answers from the imported
 * weights (the same probabilities as the PyTorch reference on that checkpoint), and the run resumes here.
 * Skipped with the reason where no Python has torch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readWeights } from '../../../../../server/ml/checkpoint';
import { loadTokenizer } from '../../../../../server/ml/tokenizer';
import { findTorchPython, referenceLogits } from '../hf/hfHelpers';
import {
  freePort,
  launchFixture,
  mlm,
  readRows,
  removeFixture,
  run,
  tinyRunConfig,
  type LaunchFixture,
} from './launchHelpers';

const torch = findTorchPython();
const STEPS = 30;
const TEXT = 'the cat eats [MASK] in the house .';

void describe(
  'mlm launch → torchrun --nproc_per_node 2 (gloo) → mlm launch import',
  { skip: torch.python ? false : torch.reason },
  () => {
    let f: LaunchFixture;
    let bundle: string;
    let runDir: string;
    let trainLog: string;
    before(async () => {
      f = launchFixture(
        tinyRunConfig({
          training: { maxSteps: STEPS, warmupSteps: 3, evalEvery: 10, logEvery: 5 },
          checkpoint: { every: 10 },
        }),
      );
      bundle = path.join(f.scratch, 'bundle');
      runDir = path.join(f.ws, '.mlm', 'runs', 'from-torchrun');
      const out = await mlm(f, ['launch', '--engine', 'torchrun', '--run', f.configFile, '--out', bundle]);
      assert.match(out, /wrote the torchrun bundle/);
      // launch.sh as a user runs it; torchrun is the `torchrun` on PATH, else PYTHON -m torch.distributed.run.
      const logDir = path.join(f.scratch, 'torchrun-logs');
      trainLog = await run('bash', ['launch.sh'], {
        cwd: bundle,
        timeoutMs: 240_000,
        env: {
          NPROC_PER_NODE: '2',
          MASTER_PORT: String(await freePort()),
          DEVICE: 'cpu',
          LOG_DIR: logDir,
          // One machine: gloo talks over the loopback whatever the host name resolves to.
          GLOO_SOCKET_IFNAME: 'lo',
          PYTHON: torch.python!,
          PATH: `${path.dirname(torch.python!)}:${process.env.PATH ?? ''}`,
        },
      }).catch((err: Error) => {
        // The workers' own stderr (torchrun keeps it in LOG_DIR) says why a run failed or hung.
        const files = fs.existsSync(logDir)
          ? fs.readdirSync(logDir, { recursive: true, encoding: 'utf8' })
          : [];
        const text = files
          .map((l) => path.join(logDir, l))
          .filter((l) => fs.statSync(l).isFile())
          .map((l) => `── ${l}\n${fs.readFileSync(l, 'utf8').slice(-3000)}`);
        throw new Error(`${err.message}\n${text.join('\n')}`);
      });
    });
    after(() => removeFixture(f));

    void test('torchrun ran 2 processes on the CPU to the planned step', () => {
      assert.match(trainLog, /2 process\(es\) on cpu/);
      const done = JSON.parse(fs.readFileSync(path.join(bundle, 'output', 'done.json'), 'utf8')) as {
        steps: number;
        processes: number;
        device: string;
      };
      assert.deepEqual([done.steps, done.processes, done.device], [STEPS, 2, 'cpu']);
    });

    void test('mlm launch import: the loss curve comes back into the run metrics', async () => {
      const out = await mlm(f, ['launch', 'import', '--bundle', bundle, '--out', runDir]);
      assert.match(out, new RegExp(`imported ${STEPS} steps .*2 process\\(es\\) on cpu`));
      const rows = readRows(path.join(runDir, 'metrics.jsonl'));
      const train = rows.filter((r) => r.split === 'train');
      const evals = rows.filter((r) => r.split === 'eval');
      assert.deepEqual(
        train.map((r) => r.step),
        [5, 10, 15, 20, 25, 30],
      );
      assert.deepEqual(
        evals.map((r) => r.step),
        [10, 20, 30],
      );
      assert.ok(train[5].loss < train[0].loss, `loss fell: ${train[0].loss} → ${train[5].loss}`);
      const status = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
        status: string;
        steps: number;
        bestEval?: { step: number };
      };
      const best = [...evals].sort((a, b) => a.loss - b.loss)[0];
      assert.deepEqual([status.status, status.steps, status.bestEval?.step], ['completed', STEPS, best.step]);
    });

    void test('mlm fill answers from the imported weights (the PyTorch reference on that checkpoint agrees)', async () => {
      const answer = JSON.parse(await mlm(f, ['fill', '--run', runDir, '--json', TEXT])) as {
        masks: Array<Array<{ id: number; score: number }>>;
      };
      const top = answer.masks[0];
      assert.equal(top.length, 5);
      const tokenizer = await loadTokenizer(runDir);
      const ids = tokenizer.encode(TEXT).ids;
      const at = ids.indexOf(tokenizer.special.mask);
      const best = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'best.json'), 'utf8')) as {
        step: number;
      };
      const [[logits]] = referenceLogits(
        torch.python!,
        path.join(runDir, 'checkpoints', `step-${best.step}`),
        [{ ids: [ids], positions: [at] }],
      );
      const max = Math.max(...logits);
      const z = logits.reduce((s, l) => s + Math.exp(l - max), 0);
      for (const p of top) {
        const ref = Math.exp(logits[p.id] - max) / z;
        assert.ok(Math.abs(p.score - ref) < 1e-4, `token ${p.id}: ${p.score} here vs ${ref} in PyTorch`);
      }
    });

    void test('mlm finetune --init starts from the imported run', async () => {
      const rows = ['text,label'];
      for (let i = 0; i < 24; i++) {
        const [animal, place] = [
          ['cat', 'house'],
          ['dog', 'yard'],
          ['bird', 'tree'],
        ][i % 3];
        rows.push(`the ${animal} sleeps in the ${place} .,${place}`);
      }
      const csv = path.join(f.scratch, 'places.csv');
      fs.writeFileSync(csv, `${rows.join('\n')}\n`);
      const out = path.join(f.scratch, 'finetuned');
      const args = [
        '--train',
        csv,
        '--out',
        out,
        '--max-steps',
        '2',
        '--batch-size',
        '8',
        '--max-length',
        '16',
      ];
      await mlm(f, ['finetune', '--init', runDir, ...args, '--quiet']);
      const task = readRows(path.join(out, 'metrics.jsonl'));
      assert.ok(
        task.some((r) => r.split === 'eval'),
        'the fine-tune evaluated',
      );
    });

    void test('a run folder launches again from its newest checkpoint', async () => {
      const again = path.join(f.scratch, 'again');
      const out = await mlm(f, ['launch', '--engine', 'torchrun', '--run', runDir, '--out', again]);
      assert.match(out, new RegExp(`from .*step-${STEPS} \\(step ${STEPS}\\)`));
      const launched = readWeights(path.join(again, 'model'));
      const saved = readWeights(path.join(runDir, 'checkpoints', `step-${STEPS}`));
      assert.deepEqual([...launched.keys()].sort(), [...saved.keys()].sort());
      for (const [name, t] of saved) assert.deepEqual(launched.get(name)?.data, t.data, name);
    });

    void test('the imported run continues here (mlm train --resume)', async () => {
      await mlm(f, ['train', '--resume', runDir, '--max-steps', String(STEPS + 2), '--quiet']);
      const rows = readRows(path.join(runDir, 'metrics.jsonl'));
      assert.equal(rows.filter((r) => r.split === 'train').at(-1)?.step, STEPS + 2);
    });
  },
);
