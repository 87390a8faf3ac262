/**
 * `mlm demo` (`npm run demo`): the README's main job. Trains the `tiny` BERT on the bundled sample corpus
 * (test/fixtures/sample-corpus: English, Spanish and Chinese) for about two minutes on the default
 * backend, fills a few masks in English and Chinese, then fine-tunes the model on the bundled labelled sample
 * (test/fixtures/labelled-sample: KJV verses by genre) and prints its held-out accuracy beside the majority baseline
 * and the same model fine-tuned from scratch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mergeRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { initBackend, type BackendChoice } from '../../ml/backend';
import { loadRunForInference } from '../../ml/checkpoint';
import { fillMask } from '../../ml/infer/fillMask';
import { trainingThreads } from '../../ml/train/parallel/threads';
import { BACKEND_USAGE, CliError, type Command, parseCliArgs } from '../command';
import { formatFill } from './fill';
import { resolveRunConfig } from '../../app/runConfigFile';
import { trainAndReport } from './train';
import { finetuneAndReport } from './finetune';
import { readFinetuneRecord, resolveFinetuneConfig, type FinetuneConfig } from '../../ml/finetune';

const USAGE = `usage: mlm demo [--time-budget 2m] [--backend B] [--out DIR] [--corpus DIR] [--no-finetune]

Trains the tiny BERT preset on the bundled sample corpus (English, Spanish, Chinese) for about two minutes,
then fills a few [MASK]s. The run is saved in .mlm/runs/ (or --out) like any other run. Then the transfer step:
the model is fine-tuned to tell five genres of KJV verses apart (test/fixtures/labelled-sample), and so is the
same model from random weights; their held-out accuracy is printed beside the majority baseline.

  --time-budget D   training time (default 2m)
  --backend B       ${BACKEND_USAGE}
  --out DIR         folder for runs (default .mlm/runs in the current folder)
  --corpus DIR      another corpus instead of the sample
  --seed N          seed (default 42)
  --no-finetune     stop after fill-mask`;

export const DEMO_SENTENCES = [
  'In the beginning God created the [MASK] and the earth.',
  'And God said, Let there be [MASK]: and there was light.',
  'The LORD is my [MASK]; I shall not want.',
  '床前明月光，疑是地上[MASK]。',
  '白日依山尽，黄河入海[MASK]。',
];

/** The package root (holds package.json "name": "mlm-studio"), from dist/ or from the sources. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'mlm-studio') return dir;
    } catch {
      // keep looking upwards
    }
    if (path.dirname(dir) === dir)
      throw new CliError('cannot find the mlm-studio package folder (package.json)');
  }
}

/** The demo's run config; `sample` = the bundled sample corpus (its SOURCES.md is not corpus text). */
export function demoRunConfig(o: {
  corpus: string;
  sample: boolean;
  timeBudget?: string;
  seed?: number;
  backend?: string;
  out?: string;
}): ResolvedRunConfig {
  // SOURCES.md (licences, a table) matches the default include `**/*.md`: keep it out of the training text.
  const exclude = [
    ...resolveRunConfig({}, 'defaults').corpus.exclude,
    ...(o.sample ? ['**/SOURCES.md'] : []),
  ];
  return resolveRunConfig(
    mergeRunConfig(
      {
        name: 'demo',
        corpus: { paths: [o.corpus], exclude },
        tokenizer: { vocabSize: 8192 },
        // Measured (docs/training.md, "Demo"): lr 2e-3 and no dropout learn faster than 1e-3 / 0.1 in a run
        // this short (about one epoch, nothing to regularise yet).
        model: { arch: 'bert', preset: 'tiny', dropout: 0 },
        data: { seqLen: 64 },
        training: {
          timeBudget: '2m',
          batchSize: 32,
          lr: 0.002,
          warmupRatio: 0.05,
          evalEvery: 100,
          evalBatches: 20,
          logEvery: 5,
        },
        checkpoint: { every: 200, keepLast: 2 },
      },
      {
        training: { timeBudget: o.timeBudget, seed: o.seed },
        backend: o.backend,
        output: { dir: o.out !== undefined ? path.resolve(o.out) : undefined },
      },
    ),
    'demo',
  );
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'train the tiny model on the bundled sample corpus for ~2 minutes, then fill masks',
  usage: USAGE,
  async run(argv) {
    const v = parseCliArgs(
      {
        args: argv,
        options: {
          'time-budget': { type: 'string' },
          backend: { type: 'string' },
          out: { type: 'string' },
          corpus: { type: 'string' },
          seed: { type: 'string' },
          'no-finetune': { type: 'boolean' },
        },
        strict: true,
      },
      USAGE,
    ).values;
    const corpus = path.resolve(v.corpus ?? path.join(packageRoot(), 'test/fixtures/sample-corpus'));
    if (!fs.existsSync(corpus)) throw new CliError(`the demo corpus ${corpus} is missing: pass --corpus DIR`);
    const config = demoRunConfig({
      corpus,
      sample: v.corpus === undefined,
      timeBudget: v['time-budget'],
      seed: v.seed !== undefined ? Number(v.seed) : undefined,
      backend: v.backend,
      out: v.out,
    });
    await initBackend({
      backend: (config.backend ?? 'auto') as BackendChoice,
      threads: trainingThreads(config),
    });
    process.stderr.write(
      `MLM Studio demo: training the tiny BERT on ${path.relative(process.cwd(), corpus) || corpus} for ${config.training.timeBudget}\n`,
    );
    const { code, summary } = await trainAndReport(config, { cwd: process.cwd() });
    if (code !== 0 || !summary.lastCheckpoint) return code || 1;

    const { model, tokenizer, step } = await loadRunForInference(summary.runDir);
    try {
      process.stdout.write(`\nFill-mask with the model of step ${step}:\n\n`);
      for (const text of DEMO_SENTENCES) {
        process.stdout.write(
          `${formatFill(text, await fillMask(model, tokenizer, text, { topK: 5 }), tokenizer)}\n\n`,
        );
      }
    } finally {
      model.dispose();
    }
    if (v['no-finetune']) return 0;
    return demoFinetune(summary.runDir, { backend: config.backend, seed: config.training.seed });
  },
};

/** The demo's fine-tuning: the same settings from the pretrained run and from scratch (docs/finetune.md). */
export function demoFinetuneConfig(o: {
  init: string;
  fromScratch: boolean;
  backend?: BackendChoice;
  seed?: number;
}): FinetuneConfig {
  const data = path.join(packageRoot(), 'test/fixtures/labelled-sample');
  return resolveFinetuneConfig({
    task: {
      kind: 'classification',
      train: path.join(data, 'kjv-genre-train.csv'),
      eval: path.join(data, 'kjv-genre-eval.csv'),
      init: o.init,
      fromScratch: o.fromScratch,
      maxLength: 64,
      dropout: 0.1,
    },
    training: { ...DEMO_FINETUNE, seed: o.seed },
    backend: o.backend,
  });
}

/** Measured (docs/finetune.md, "The demo's numbers"). */
export const DEMO_FINETUNE = { epochs: 3, batchSize: 32, lr: 1e-3, warmupRatio: 0.1 } as const;

async function demoFinetune(runDir: string, o: { backend?: BackendChoice; seed?: number }): Promise<number> {
  const rows: Array<{ name: string; m?: Record<string, number> }> = [];
  let baseline: Record<string, number> | undefined;
  let heldOut = 0;
  for (const fromScratch of [false, true]) {
    const out = `${runDir}-genre${fromScratch ? '-scratch' : ''}`;
    process.stderr.write(
      `\nFine-tuning ${fromScratch ? 'the same model from random weights (no pretraining)' : 'the pretrained model'} to tell five genres of verses apart → ${path.relative(process.cwd(), out) || out}\n`,
    );
    const config = demoFinetuneConfig({ init: runDir, fromScratch, ...o });
    const { code, summary } = await finetuneAndReport(config, { out });
    if (code !== 0) return code;
    baseline ??= summary.baseline?.metrics;
    heldOut = readFinetuneRecord(out).data.eval;
    rows.push({
      name: fromScratch ? 'fine-tuned from scratch' : 'fine-tuned from the pretrained model',
      m: summary.best,
    });
  }
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
  const table = [
    '',
    'Held-out accuracy on 300 KJV verses, 5 genres (test/fixtures/labelled-sample):',
    `  ${'majority baseline'.padEnd(38)} ${pct(baseline?.accuracy).padStart(6)}   macro-F1 ${baseline?.macroF1.toFixed(3)}`,
    ...rows.map(
      (r) => `  ${r.name.padEnd(38)} ${pct(r.m?.accuracy).padStart(6)}   macro-F1 ${r.m?.macroF1.toFixed(3)}`,
    ),
    '',
  ];
  const [pre, scratch] = rows.map((r) => r.m?.accuracy);
  if (pre !== undefined && scratch !== undefined) table.push(transferVerdict(pre, scratch, heldOut), '');
  process.stdout.write(`${table.join('\n')}\n`);
  return 0;
}

/**
 * One sentence on what the demo's two fine-tunes show: the accuracy difference against the noise of a single
 * fine-tune scored on `n` held-out examples (two standard errors of the difference of two accuracies), so that a
 * gap inside it is not read as pretraining helping or hurting (docs/finetune.md has the means over seeds).
 */
export function transferVerdict(pre: number, scratch: number, n: number): string {
  const diff = (pre - scratch) * 100;
  const noise = 200 * Math.sqrt((pre * (1 - pre) + scratch * (1 - scratch)) / Math.max(1, n));
  const d = `${diff >= 0 ? '+' : '−'}${Math.abs(diff).toFixed(1)}`;
  const reading =
    Math.abs(diff) <= noise
      ? 'within the noise of one fine-tune, so this run does not show that pretraining helps (or hurts)'
      : diff > 0
        ? 'beyond the noise of one fine-tune: pretraining helped'
        : 'beyond the noise of one fine-tune: pretraining hurt';
  return (
    `Pretrained vs from scratch: ${d} points; one fine-tune on ${n} held-out examples varies by about ` +
    `±${noise.toFixed(1)} points (2 standard errors): ${reading}. Means over seeds: docs/finetune.md.`
  );
}
