/**
 * `npm run bench -- finetune --init RUN [--seeds 1,2,3]`: the accuracy goal — our fine-tune against a
 * PyTorch fine-tune of the same checkpoint with the same hyperparameters. Per seed, on the bundled labelled sample
 * (test/fixtures/labelled-sample, the demo's settings DEMO_FINETUNE unless --epochs / --lr are given):
 *   ours    — runFinetune, as `mlm finetune --init RUN` runs it;
 *   PyTorch — test/fixtures/hf/task_reference.py `train`: Hugging Face's BertForSequenceClassification math with
 *             its dropout (hidden, attention, classifier), torch.optim.AdamW with decay / no-decay groups,
 *             clip_grad_norm_, from the same start (ours: RUN's encoder and the seeded head, written as a task
 *             folder), on the same batches with the same learning rates, evaluated after the same steps.
 * Only the dropout masks and float rounding differ, so the two accuracies should agree within noise. The best
 * held-out accuracy (the checkpoint `mlm finetune` keeps) and the last are reported, per seed and as mean ± sd.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetrics } from '../../server/ml/checkpoint';
import { demoFinetuneConfig, DEMO_FINETUNE } from '../../server/cli/commands/demo';
import type { FinetuneConfig } from '../../server/ml/finetune/config';
import { encodeExamples, makeBatch } from '../../server/ml/finetune/features';
import { BertTaskModel, isHeadParameter, type TaskHead } from '../../server/ml/finetune/model';
import { TaskObjective } from '../../server/ml/finetune/objective';
import { readLabelledData } from '../../server/ml/finetune/reader';
import { runFinetune } from '../../server/ml/finetune/run';
import { modelStart, taskLabels } from '../../server/ml/finetune/setup';
import { writeTaskModelFolder } from '../../server/ml/finetune/taskFolder';
import type { BackendChoice } from '../../server/ml/backend';
import { findTorchPython } from '../unit/server/ml/hf/hfHelpers';
import { taskBatchRequest, taskReference } from '../unit/server/ml/finetune/torchTask';
import { fmt, type Reporter } from './report';

export const FINETUNE_DEFAULTS = { seeds: [1, 2, 3], ...DEMO_FINETUNE, dropout: 0.1 };

export interface FinetuneBenchOptions {
  /** A pretraining run (or any --init that `mlm finetune` takes). */
  init: string;
  seeds: number[];
  epochs: number;
  lr: number;
  /** Encoder and classifier dropout (the demo's 0.1; 0 makes both sides deterministic: they then agree closely). */
  dropout: number;
  backend?: BackendChoice;
}

interface EvalPoint {
  step: number;
  accuracy: number;
}

const summarise = (evals: readonly EvalPoint[]) => ({
  best: Math.max(...evals.map((e) => e.accuracy)),
  last: evals.at(-1)!.accuracy,
});

function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The task folder runFinetune starts from (RUN's encoder with the run's dropout, the head seeded as ours). */
async function writeStart(config: FinetuneConfig, dir: string) {
  const tc = config.task;
  const read = async (file: string) => (await readLabelledData(file, { task: tc.kind })).examples;
  const train = await read(tc.train);
  const evalSet = await read(tc.eval!);
  const labels = taskLabels(config, train, evalSet);
  const headBase = { task: tc.kind, classifierDropout: tc.classifierDropout };
  const head: TaskHead = { ...headBase, labels };
  const { start, modelConfig, tokenizer } = await modelStart(config, dir, false, headBase, labels);
  const model = new BertTaskModel(modelConfig, head, config.training.seed);
  try {
    model.loadHfState(start!.state, {
      allowMissing: [...model.variables.keys()].filter((n) => isHeadParameter(n)),
    });
    const startDir = path.join(dir, 'start');
    await writeTaskModelFolder(startDir, {
      config: model.config,
      head,
      weights: model.toHfState(),
      tokenizer,
      card: '',
    });
    const spec = { task: tc.kind, labels, maxLength: tc.maxLength };
    const trainFeatures = encodeExamples(train, tokenizer, spec).features;
    const evalFeatures = encodeExamples(evalSet, tokenizer, spec).features;
    const pad = tokenizer.special.pad;
    // The training batches of runFinetune: its objective's seeded order, epoch by epoch.
    const objective = new TaskObjective(model, trainFeatures, [], {
      batchSize: config.training.batchSize,
      seed: config.training.seed,
      padId: pad,
      threshold: tc.threshold,
      metric: 'accuracy',
      dataParallel: 1,
    });
    const evalBatches = [];
    for (let i = 0; i < evalFeatures.length; i += 64)
      evalBatches.push(makeBatch(evalFeatures.slice(i, i + 64), tc.kind, labels.length, pad));
    return { startDir, objective, evalBatches };
  } finally {
    model.dispose();
  }
}

export async function runFinetuneBench(o: FinetuneBenchOptions, out: Reporter): Promise<void> {
  const torch = findTorchPython();
  if (!torch.python) throw new Error(`bench finetune: ${torch.reason}`);
  if (!fs.existsSync(o.init))
    throw new Error(`bench finetune: --init ${o.init} does not exist (a pretraining run)`);
  const results: Array<{
    seed: number;
    ours: ReturnType<typeof summarise>;
    torch: ReturnType<typeof summarise>;
  }> = [];
  for (const seed of o.seeds) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-bench-finetune-'));
    try {
      const base = demoFinetuneConfig({
        init: path.resolve(o.init),
        fromScratch: false,
        seed,
        backend: o.backend,
      });
      // Every step's learning rate goes to metrics.jsonl (logEvery 1): PyTorch gets the same ones.
      const config: FinetuneConfig = {
        ...base,
        task: { ...base.task, dropout: o.dropout },
        training: { ...base.training, epochs: o.epochs, lr: o.lr, logEvery: 1 },
      };
      const runDir = path.join(dir, 'ours');
      const t0 = Date.now();
      const summary = await runFinetune(config, { out: runDir });
      if (summary.stoppedBy === 'error') throw new Error(`our fine-tune failed: ${summary.error}`);
      const rows = readMetrics(runDir);
      const train = rows.filter((m) => m.split === 'train');
      const ours = rows
        .filter((m) => m.split === 'eval')
        .map((m) => ({ step: m.step, accuracy: m.accuracy! }));
      const oursSeconds = (Date.now() - t0) / 1000;

      const { startDir, objective, evalBatches } = await writeStart(config, dir);
      const steps = train.map((m) => ({ batch: taskBatchRequest(objective.next().batch), lr: m.lr }));
      const t1 = Date.now();
      const t = config.training;
      const ref = taskReference<{ losses: number[]; evals: EvalPoint[] }>(torch.python, 'train', startDir, {
        steps,
        weightDecay: t.weightDecay,
        clipNorm: t.clipNorm,
        betas: [t.adamBeta1, t.adamBeta2],
        eps: t.adamEpsilon,
        classWeights: null,
        seed,
        evalAfter: ours.map((e) => e.step),
        eval: evalBatches.map(taskBatchRequest),
      });
      const r = { seed, ours: summarise(ours), torch: summarise(ref.evals) };
      results.push(r);
      // The mean training loss of the last epoch: dropout of the same strength gives the same level.
      const perEpoch = Math.ceil(steps.length / o.epochs);
      const lastEpochLoss = (losses: number[]) =>
        losses.slice(-perEpoch).reduce((a, x) => a + x, 0) / Math.min(perEpoch, losses.length);
      for (const [system, s, curve, seconds, loss] of [
        ['ours', r.ours, ours, oursSeconds, lastEpochLoss(train.map((m) => m.loss))],
        ['pytorch', r.torch, ref.evals, (Date.now() - t1) / 1000, lastEpochLoss(ref.losses)],
      ] as const) {
        out.record({
          workload: 'finetune',
          system,
          metric: 'held-out accuracy (best)',
          value: s.best,
          unit: 'fraction',
          seed,
          last: s.last,
          curve: curve.map((e) => e.accuracy),
          seconds,
          steps: steps.length,
          lastEpochTrainLoss: loss,
          dropout: o.dropout,
        });
      }
      out.row([
        'finetune',
        `seed ${seed}: best / last held-out accuracy`,
        `${pct(r.ours.best)} / ${pct(r.ours.last)}`,
        `${pct(r.torch.best)} / ${pct(r.torch.last)}`,
        `Δ best ${fmt((r.ours.best - r.torch.best) * 100)} points`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const which of ['best', 'last'] as const) {
    const a = meanSd(results.map((r) => r.ours[which]));
    const b = meanSd(results.map((r) => r.torch[which]));
    out.record({
      workload: 'finetune',
      system: 'ours-vs-pytorch',
      metric: `mean held-out accuracy (${which}) difference`,
      value: a.mean - b.mean,
      unit: 'fraction',
      ours: a,
      pytorch: b,
      seeds: o.seeds,
    });
    out.row([
      'finetune',
      `${which} accuracy, mean ± sd over seeds ${o.seeds.join(',')}`,
      `${pct(a.mean)} ± ${(a.sd * 100).toFixed(1)}`,
      `${pct(b.mean)} ± ${(b.sd * 100).toFixed(1)}`,
      `Δ ${fmt((a.mean - b.mean) * 100)} points`,
    ]);
  }
}
