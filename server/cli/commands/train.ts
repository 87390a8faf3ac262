/** `mlm train`: trains a masked language model from a run config and/or flags, with a progress bar. */
import fs from 'node:fs';
import path from 'node:path';
import { mergeRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { loadRunConfigFile, resolveRunConfig } from '../../app/runConfigFile';
import { claimRunFolder } from '../../app/runLock';
import { runTraining, type RunSummary } from '../../ml/train/run';
import { parseModelSpec } from '../../ml/hub';
import { spawnReplica } from '../../worker/replicas';
import { BACKEND_USAGE, CliError, type Command, numberFlag, parseCliArgs, stopOnSigint } from '../command';
import { resolveModelWithProgress } from '../hubModel';
import { cliCallbacks, printSummary } from './trainReport';

const USAGE = `usage: mlm train [--config FILE] [options]

Trains a BERT (or BiGRU) masked language model on your text and saves the run in .mlm/runs/<run-id>/
(config.json, tokenizer, metrics.jsonl, checkpoints/). Flags override the config file (*.mlm.json, see
docs/run-config.md). Without --tokenizer the run trains its own WordPiece vocabulary. Ctrl+C stops
gracefully: the run is evaluated and checkpointed, and can be resumed.

  --config FILE         run configuration (*.mlm.json)
  --corpus P            directory, file or glob to read (repeatable; default: the current folder with
                        the config's corpus.include globs)
  --preset NAME         tiny | mini | small | medium | base (BERT size)
  --arch A              bert | bigru
  --max-steps N         stop after N optimizer steps
  --epochs X            stop after X passes over the training split
  --time-budget D       stop after a wall-clock budget such as 10m, 90s, 1h30m (the LR schedule follows it)
  --batch-size N        examples per step
  --seq-len N           tokens per example
  --lr X                peak learning rate
  --seed N              seed for weights, data order, masking and dropout
  --backend B           ${BACKEND_USAGE}
  --threads N           wasm threads (default: 1 with data parallel, else all cores)
  --data-parallel N     train N model replicas on worker threads, gradients summed (1 = off;
                        default auto: one per core on wasm when the model is large enough)
  --init DIR|ID         continue pretraining from a Hugging Face folder, a Hub id (ORG/NAME[@REVISION],
                        from the Hugging Face cache or downloaded into it) or an MLM Studio run or
                        checkpoint (its weights, shape and tokenizer; the run is named <init>-ft)
  --tokenizer DIR       use this tokenizer (tokenizer.json or vocab.txt) instead of training one
  --vocab-size N        size of the trained vocabulary (default 8192)
  --out DIR             folder for runs (default .mlm/runs)
  --name NAME           label added to the run id
  --resume RUN_DIR      continue a run from its newest complete checkpoint
  --tensorboard         also write the metrics as TensorBoard scalars (events.out.tfevents.* beside
                        metrics.jsonl; logging.tensorboard in the run config)
  --quiet               only the final summary`;

const OPTIONS = {
  config: { type: 'string' },
  corpus: { type: 'string', multiple: true },
  preset: { type: 'string' },
  arch: { type: 'string' },
  'max-steps': { type: 'string' },
  epochs: { type: 'string' },
  'time-budget': { type: 'string' },
  'batch-size': { type: 'string' },
  'seq-len': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'data-parallel': { type: 'string' },
  init: { type: 'string' },
  tokenizer: { type: 'string' },
  'vocab-size': { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  resume: { type: 'string' },
  tensorboard: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** A number flag, left for the schema to range-check; "abc" fails here naming the flag. */
const num = (v: string | undefined, flag: string) => numberFlag(v, flag, USAGE);

/** Trains and prints the summary; SIGINT stops gracefully. Exit code 0 unless the run failed. */
export async function trainAndReport(
  config: ResolvedRunConfig,
  opts: { cwd: string; corpus?: string[]; resumeFrom?: string; quiet?: boolean },
): Promise<{ code: number; summary: RunSummary }> {
  // One writer per run folder: refused (naming the pid) while another process trains the run being resumed.
  const { runId, runDir, lock } = claimRunFolder(config, opts.cwd, opts.resumeFrom);
  try {
    return await stopOnSigint(async (signal) => {
      const summary = await runTraining(config, {
        cwd: opts.cwd,
        corpusFiles: opts.corpus,
        ...(opts.resumeFrom ? { resumeFrom: runDir } : { runId }),
        spawnReplica,
        callbacks: cliCallbacks(config, { quiet: opts.quiet }),
        control: { signal },
      });
      printSummary(summary, opts.cwd);
      return { code: summary.stoppedBy === 'error' ? 1 : 0, summary };
    });
  } finally {
    lock.release();
  }
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a masked language model (BERT or BiGRU) on your text',
  usage: USAGE,
  async run(argv) {
    const v = parseCliArgs(
      { args: argv, options: OPTIONS, strict: true, allowPositionals: false },
      USAGE,
    ).values;
    const cwd = process.cwd();
    if (v.init !== undefined && !fs.existsSync(v.init) && !parseModelSpec(v.init))
      throw new CliError(
        `--init ${v.init} does not exist: pass a Hugging Face folder (config.json, weights, vocab.txt), a run folder ` +
          `or a Hub id (ORG/NAME[@REVISION])`,
        2,
      );
    if (v.init !== undefined && v.resume)
      throw new CliError('--resume continues a run with its own weights: drop --init', 2);
    let base: unknown = {};
    let source = 'flags';
    if (v.resume) {
      const file = path.join(v.resume, 'config.json');
      if (!fs.existsSync(file))
        throw new CliError(`${v.resume} is not a run folder (no config.json): pass .mlm/runs/<run-id>`);
      base = loadRunConfigFile(file);
      source = `${file} + flags`;
      if (v.config) throw new CliError('--resume continues a run with its own config: drop --config', 2);
    } else if (v.config) {
      base = loadRunConfigFile(v.config);
      source = `${v.config} + flags`;
    }
    const patch = {
      name: v.name,
      // Saved with the run (absolute), so that --resume reads the same corpus.
      corpus: { paths: v.corpus?.map((p) => path.resolve(p)) },
      tokenizer: {
        path: v.tokenizer !== undefined ? path.resolve(v.tokenizer) : undefined,
        vocabSize: num(v['vocab-size'], 'vocab-size'),
      },
      model: {
        preset: v.preset,
        arch: v.arch,
        // A Hub id stays an id (the run is named after it); a folder is saved absolute.
        init: v.init === undefined ? undefined : fs.existsSync(v.init) ? path.resolve(v.init) : v.init,
      },
      data: { seqLen: num(v['seq-len'], 'seq-len') },
      training: {
        maxSteps: num(v['max-steps'], 'max-steps'),
        epochs: num(v.epochs, 'epochs'),
        timeBudget: v['time-budget'],
        batchSize: num(v['batch-size'], 'batch-size'),
        lr: num(v.lr, 'lr'),
        seed: num(v.seed, 'seed'),
        dataParallel: v['data-parallel'] === 'auto' ? 'auto' : num(v['data-parallel'], 'data-parallel'),
      },
      backend: v.backend,
      threads: num(v.threads, 'threads'),
      logging: { tensorboard: v.tensorboard },
      output: { dir: v.out !== undefined ? path.resolve(v.out) : undefined },
    };
    const config = resolveRunConfig(mergeRunConfig(base, patch), source);
    // A Hub id is fetched here, with a progress bar, so the run starts from the cache.
    if (config.model.init && !v.resume && !fs.existsSync(path.resolve(cwd, config.model.init))) {
      await resolveModelWithProgress(config.model.init, { cwd, quiet: v.quiet });
    }
    const { code } = await trainAndReport(config, {
      cwd,
      resumeFrom: v.resume,
      quiet: v.quiet,
    });
    return code;
  },
};
