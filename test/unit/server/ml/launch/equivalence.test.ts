/**
 * Equivalence (#14): the bundle's train.py (PyTorch, one process) and our trainer (`mlm train`) start from the same
 * weights and take the same batches, so with dropout 0 every step logs the same loss (within 1e-4), gradient norm,
 * accuracy, learning rate and realised masking, and every evaluation the same held-out loss. Three steps: the first
 * compares the forward and the loss; the next two the update (AdamW, weight decay groups, schedule, clipping). A
 * train.py stopped after step 1 and started again continues exactly. Skipped with the reason where no Python has torch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { MetricRecord } from '../../../../../protocol/shared/metrics';
import { findTorchPython } from '../hf/hfHelpers';
import {
  launchFixture,
  mlm,
  onlyRun,
  readRows,
  removeFixture,
  run,
  tinyRunConfig,
  type LaunchFixture,
} from './launchHelpers';

const torch = findTorchPython();

const CASES = [
  {
    name: 'chunked examples, linear decay without warmup; train.py stopped after step 1 and restarted',
    config: tinyRunConfig(),
    resume: true,
    spikes: false,
  },
  {
    name: 'line examples, whole-word masking of 30 % (held out: 15 %), 2 micro-batches, cosine with warmup, clipping at 0.5, weight decay 0.1',
    config: tinyRunConfig({
      data: { mode: 'line', masking: { wholeWord: true, probability: 0.3 } },
      training: {
        batchSize: 6,
        gradAccumulation: 2,
        warmupSteps: 1,
        schedule: 'cosine',
        clipNorm: 0.5,
        weightDecay: 0.1,
      },
    }),
    resume: false,
    spikes: false,
  },
  {
    name: 'the loss-spike guard at a hair trigger: spikes skipped, rolled back to the newest checkpoint, the rate lowered',
    config: tinyRunConfig({
      training: { maxSteps: 8, lossSpike: { factor: 1.1, warmupSteps: 1, maxInRow: 2, lrFactor: 0.5 } },
    }),
    resume: false,
    spikes: true,
  },
];

const key = (r: MetricRecord) => `${r.split}@${r.step}`;

/** Every row of ours has its twin in train.py's, with the same values (losses within 1e-4). */
function assertSameRows(ours: MetricRecord[], theirs: MetricRecord[]): void {
  assert.deepEqual(theirs.map(key), ours.map(key), 'the same train and eval rows');
  for (const [i, a] of ours.entries()) {
    const b = theirs[i];
    const at = key(a);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-4, `${at}: loss ${a.loss} (ours) vs ${b.loss} (train.py)`);
    assert.ok(Math.abs(a.epoch - b.epoch) < 1e-12, `${at}: epoch ${a.epoch} vs ${b.epoch}`);
    assert.ok(Math.abs(a.accuracy! - b.accuracy!) < 1e-9, `${at}: accuracy ${a.accuracy} vs ${b.accuracy}`);
    if (a.split === 'train') {
      assert.ok(Math.abs(a.lr! - b.lr!) <= 1e-12, `${at}: lr ${a.lr} vs ${b.lr}`);
      const dn = Math.abs(a.gradNorm! - b.gradNorm!) / Math.max(1, a.gradNorm!);
      assert.ok(dn <= 1e-4, `${at}: grad norm ${a.gradNorm} vs ${b.gradNorm}`);
      for (const c of [
        'targetRate',
        'maskRate',
        'randomRate',
        'keepRate',
        'lossSpikes',
        'rollbacks',
      ] as const) {
        assert.equal(b[c], a[c], `${at}: ${c} (the same masks)`);
      }
    }
  }
}

void describe(
  'train.py ≡ our trainer (same weights, same batches, dropout 0)',
  { skip: torch.python ? false : torch.reason },
  () => {
    const fixtures: LaunchFixture[] = [];
    after(() => fixtures.forEach(removeFixture));

    for (const c of CASES) {
      void test(c.name, async () => {
        const f = launchFixture(c.config);
        fixtures.push(f);
        await mlm(f, ['train', '--config', f.configFile, '--quiet']);
        const ours = readRows(path.join(onlyRun(f.ws), 'metrics.jsonl'));
        const train = ours.filter((r) => r.split === 'train');
        assert.equal(train.length, (c.config as { training: { maxSteps: number } }).training.maxSteps);
        if (c.spikes)
          assert.ok(train.at(-1)!.rollbacks! > 0, `the guard rolled back: ${JSON.stringify(train.at(-1))}`);

        const bundle = path.join(f.scratch, 'bundle');
        await mlm(f, ['launch', '--engine', 'torchrun', '--run', f.configFile, '--out', bundle]);
        await run(torch.python!, ['train.py'], { cwd: bundle });
        assertSameRows(ours, readRows(path.join(bundle, 'output', 'metrics.jsonl')));

        if (!c.resume) return;
        // Stopped after step 1 and started again on the same output: the same rows as the uninterrupted run.
        const resumed = path.join(f.scratch, 'resumed');
        await run(torch.python!, ['train.py', '--out', resumed, '--max-steps', '1'], { cwd: bundle });
        const out = await run(torch.python!, ['train.py', '--out', resumed], { cwd: bundle });
        assert.match(out, /resuming from .*step-1 \(step 1\)/);
        assertSameRows(ours, readRows(path.join(resumed, 'metrics.jsonl')));
        assert.ok(fs.existsSync(path.join(resumed, 'checkpoints', 'step-3', 'COMPLETE')));
      });
    }
  },
);
