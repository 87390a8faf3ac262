/**
 * `mlm finetune`: fine-tunes a pretrained model (an MLM Studio run, a Hugging Face BERT folder or a task model) on
 * labelled data, with a progress bar, and prints the held-out metrics beside the majority baseline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDuration } from '../../../protocol/runConfig';
import type { BackendChoice } from '../../ml/backend';
import {
  readFinetuneRecord,
  resolveFinetuneConfig,
  runFinetune,
  TASK_KINDS,
  type ClassWeights,
  type FinetuneConfig,
  type FinetuneConfigInput,
  type FinetuneSummary,
  type TaskKind,
} from '../../ml/finetune';
import { parseModelSpec } from '../../ml/hub';
import { BACKEND_USAGE, CliError, type Command, numberFlag, parseCliArgs, stopOnSigint } from '../command';
import { resolveModelWithProgress } from '../hubModel';
import { spawnReplica } from '../../worker/replicas';
import { finetuneCallbacks, printFinetuneSummary } from './finetuneReport';

const USAGE = `usage: mlm finetune --init RUN_OR_HF_DIR --train FILE [--eval FILE] --out DIR [options]

Fine-tunes a pretrained model on labelled data and saves the run in DIR (finetune.json, tokenizer, metrics.jsonl,
checkpoints/ in the Hugging Face task layout). Without --eval a seeded, stratified 10 % of --train is held out.
The held-out metrics are printed after each evaluation, beside the majority baseline. Ctrl+C stops gracefully
(evaluated, checkpointed, resumable with --resume). Formats, options and metrics: docs/finetune.md.

Data
  --train FILE          labelled data: .csv / .tsv / .jsonl with a header (columns text, [text_pair], label|labels),
                        a folder DIR/<label>/*.txt, or a CoNLL file (word<TAB>tag per line) for --task token
  --eval FILE           held-out data (same format); default: a stratified split of --train
  --task T              classification (default) | multilabel | regression | token
  --text-column C       column of the text (default text)
  --text-pair-column C  column of the second text of a pair (default text_pair, when present)
  --label-column C      column of the label(s) (default label, else labels)
  --label-separator S   separator of several labels in one CSV/TSV cell (default ","; JSON arrays work too)
  --validation-split X  fraction held out when there is no --eval (default 0.1)
  --max-length N        tokens per example, [CLS]/[SEP] included (default 128; longer texts are truncated)

Model
  --init DIR|ID         an MLM Studio run or checkpoint, a Hugging Face BERT/DistilBERT folder, a Hub id
                        (ORG/NAME[@REVISION], from the Hugging Face cache or downloaded into it), or a task model
  --from-scratch        keep --init's shape and tokenizer but start from random weights (the no-transfer baseline)
  --dropout X           encoder dropout (default: the checkpoint's)
  --classifier-dropout X  dropout before the classifier (default: the encoder's)
  --freeze-encoder      train only the pooler and classifier
  --freeze-layers N     freeze the embeddings and the lowest N encoder layers
  --layer-decay X       layer-wise learning-rate decay (lr × X^(depth from the top); 1 = off)
  --class-weights W     balanced | w1,w2,… (one per label, in label order): weighted cross-entropy

Training
  --epochs X            passes over the training data (default 3)
  --max-steps N         stop after N optimizer steps
  --time-budget D       stop after a wall-clock budget such as 10m, 90s (the LR schedule follows it)
  --lr X                peak learning rate (default 5e-5; small models from scratch like 1e-4 to 1e-3)
  --batch-size N        examples per step (default 16)
  --warmup-ratio X      linear warmup over this fraction of training, then linear decay (default 0.1)
  --weight-decay X      AdamW weight decay, not on biases and LayerNorm (default 0.01)
  --seed N              seed for the split, data order, head initialisation and dropout (default 42)
  --eval-every N        evaluate (and checkpoint) every N steps (default: once per epoch)
  --metric M            metric for the best checkpoint and early stopping (default: accuracy, microF1, mse or f1)
  --early-stopping N    stop when the metric has not improved for N evaluations
  --threshold X         multilabel: a label is predicted when its sigmoid ≥ X (default 0.5)
  --backend B           ${BACKEND_USAGE}
  --threads N           wasm threads of the training thread (default 1)
  --data-parallel N     split each batch across N model replicas on worker threads, gradients summed
                        (wasm/cpu; 1 = off, the default; auto: one per core when the model is large enough)

Run
  --out DIR             the run folder (new or empty)
  --resume              continue the run in --out from its newest checkpoint (limits may be raised)
  --tensorboard         also write the metrics as TensorBoard scalars (events.out.tfevents.* in the run folder)
  --json                print the summary as one JSON object on stdout
  --quiet               only the summary`;

const OPTIONS = {
  init: { type: 'string' },
  train: { type: 'string' },
  eval: { type: 'string' },
  task: { type: 'string' },
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  'label-separator': { type: 'string' },
  'validation-split': { type: 'string' },
  'max-length': { type: 'string' },
  'from-scratch': { type: 'boolean' },
  dropout: { type: 'string' },
  'classifier-dropout': { type: 'string' },
  'freeze-encoder': { type: 'boolean' },
  'freeze-layers': { type: 'string' },
  'layer-decay': { type: 'string' },
  'class-weights': { type: 'string' },
  epochs: { type: 'string' },
  'max-steps': { type: 'string' },
  'time-budget': { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  'warmup-ratio': { type: 'string' },
  'weight-decay': { type: 'string' },
  seed: { type: 'string' },
  'eval-every': { type: 'string' },
  metric: { type: 'string' },
  'early-stopping': { type: 'string' },
  threshold: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'data-parallel': { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  tensorboard: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

const num = (v: string | undefined, flag: string) => numberFlag(v, flag, USAGE);

function classWeights(v: string | undefined): ClassWeights | undefined {
  if (v === undefined) return undefined;
  if (v === 'balanced' || v === 'none') return v;
  const w = v.split(',').map((x) => Number(x.trim()));
  if (!w.length || w.some((x) => !Number.isFinite(x))) {
    throw new CliError(`--class-weights must be "balanced" or numbers separated by commas, got "${v}"`, 2);
  }
  return w;
}

/** The flags as a config input (undefined = default, or on --resume: the run's own value). */
export function finetuneInput(argv: string[]): {
  input: FinetuneConfigInput;
  out: string;
  resume: boolean;
  json: boolean;
  quiet: boolean;
} {
  const v = parseCliArgs(
    { args: argv, options: OPTIONS, strict: true, allowPositionals: false },
    USAGE,
  ).values;
  if (!v.out) throw new CliError(`missing --out DIR (the run folder)\n\n${USAGE}`, 2);
  const resume = v.resume ?? false;
  if (!resume && !v.init)
    throw new CliError(`missing --init RUN_OR_HF_DIR (the pretrained model)\n\n${USAGE}`, 2);
  if (!resume && !v.train) throw new CliError(`missing --train FILE (the labelled data)\n\n${USAGE}`, 2);
  for (const [flag, p] of [
    ['init', v.init],
    ['train', v.train],
    ['eval', v.eval],
  ] as const) {
    // --init may also be a Hugging Face Hub id (fetched in run(), before the fine-tune starts).
    if (p !== undefined && !fs.existsSync(p) && !(flag === 'init' && parseModelSpec(p))) {
      throw new CliError(`--${flag} ${p} does not exist`, 2);
    }
  }
  if (v.task !== undefined && !(TASK_KINDS as readonly string[]).includes(v.task)) {
    throw new CliError(`--task must be one of ${TASK_KINDS.join(', ')}, got "${v.task}"`, 2);
  }
  if (v['time-budget'] !== undefined && parseDuration(v['time-budget']) === undefined) {
    throw new CliError(
      `--time-budget must be a duration such as 10m, 90s or 1h30m, got "${v['time-budget']}"`,
      2,
    );
  }
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(p));
  const input: FinetuneConfigInput = {
    task: {
      kind: v.task as TaskKind | undefined,
      train: abs(v.train) ?? '',
      eval: abs(v.eval),
      init: v.init !== undefined && !fs.existsSync(v.init) ? v.init : (abs(v.init) ?? ''),
      textColumn: v['text-column'],
      textPairColumn: v['text-pair-column'],
      labelColumn: v['label-column'],
      labelSeparator: v['label-separator'],
      validationSplit: num(v['validation-split'], 'validation-split'),
      maxLength: num(v['max-length'], 'max-length'),
      fromScratch: v['from-scratch'],
      dropout: num(v.dropout, 'dropout'),
      classifierDropout: num(v['classifier-dropout'], 'classifier-dropout'),
      freezeEncoder: v['freeze-encoder'],
      freezeLayers: num(v['freeze-layers'], 'freeze-layers'),
      layerDecay: num(v['layer-decay'], 'layer-decay'),
      classWeights: classWeights(v['class-weights']),
      metric: v.metric,
      threshold: num(v.threshold, 'threshold'),
      evalEvery: num(v['eval-every'], 'eval-every'),
    },
    training: {
      epochs: num(v.epochs, 'epochs'),
      maxSteps: num(v['max-steps'], 'max-steps'),
      timeBudget: v['time-budget'],
      lr: num(v.lr, 'lr'),
      batchSize: num(v['batch-size'], 'batch-size'),
      warmupRatio: num(v['warmup-ratio'], 'warmup-ratio'),
      weightDecay: num(v['weight-decay'], 'weight-decay'),
      seed: num(v.seed, 'seed'),
      earlyStoppingPatience: num(v['early-stopping'], 'early-stopping'),
      dataParallel: v['data-parallel'] === 'auto' ? 'auto' : num(v['data-parallel'], 'data-parallel'),
    },
    logging: { tensorboard: v.tensorboard },
    backend: v.backend as BackendChoice | undefined,
    threads: num(v.threads, 'threads') ?? null,
  };
  return { input, out: path.resolve(v.out), resume, json: v.json ?? false, quiet: v.quiet ?? false };
}

/** Runs a fine-tune with CLI reporting; SIGINT stops gracefully. */
export async function finetuneAndReport(
  config: FinetuneConfig,
  opts: { out: string; resume?: boolean; quiet?: boolean; json?: boolean },
): Promise<{ code: number; summary: FinetuneSummary }> {
  return stopOnSigint(async (signal) => {
    const summary = await runFinetune(config, {
      out: opts.out,
      resume: opts.resume,
      callbacks: finetuneCallbacks(config, { quiet: opts.quiet }),
      control: { signal },
      spawnReplica,
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printFinetuneSummary(summary);
    return { code: summary.stoppedBy === 'error' ? 1 : 0, summary };
  });
}

export const finetuneCommand: Command = {
  name: 'finetune',
  summary: 'fine-tune a pretrained model on labelled data (classification, multilabel, regression, token)',
  usage: USAGE,
  async run(argv) {
    const { input, out, resume, json, quiet } = finetuneInput(argv);
    // A Hub id: its snapshot in the Hugging Face cache (downloaded with a progress bar when missing).
    const init = input.task?.init;
    if (!resume && init && !fs.existsSync(init)) {
      input.task = {
        ...input.task,
        init: (await resolveModelWithProgress(init, { cwd: process.cwd(), quiet })).dir,
      };
    }
    let config: FinetuneConfig;
    try {
      if (resume) {
        // The run's own config, with the limits and backend given now (e.g. more epochs).
        const saved = readFinetuneRecord(out).config;
        if (!saved)
          throw new Error(
            `${out} holds an imported model, not a fine-tune run: fine-tune it with --init ${out} --out NEW_DIR`,
          );
        const given = Object.fromEntries(
          Object.entries(input.training ?? {}).filter(([, x]) => x !== undefined),
        );
        config = resolveFinetuneConfig({
          ...saved,
          training: { ...saved.training, ...given },
          logging: input.logging?.tensorboard ? input.logging : saved.logging,
          backend: input.backend ?? saved.backend,
          threads: input.threads ?? saved.threads,
        });
      } else {
        config = resolveFinetuneConfig(input);
      }
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    return (await finetuneAndReport(config, { out, resume, quiet, json })).code;
  },
};
