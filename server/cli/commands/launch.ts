/**
 * `mlm launch --engine torchrun …`: a run handed to PyTorch DDP as a self-contained bundle; `mlm launch import`: the
 * bundle's result brought back as a run folder (server/ml/launch, docs/scale-out.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRunConfigFile, resolveRunConfig } from '../../app/runConfigFile';
import { readResolvedRunConfig } from '../../ml/checkpoint';
import { importLaunchOutput, writeLaunchBundle, type LaunchSource } from '../../ml/launch';
import { CliError, numberFlag, type Command, parseCliArgs } from '../command';
import { cliCallbacks } from './trainReport';

const USAGE = `usage: mlm launch --engine torchrun --run RUN_OR_CONFIG --out BUNDLE [--nnodes N] [--nproc-per-node M] [--force]

Writes a self-contained folder that trains the run on PyTorch DDP under torchrun (several processes, GPUs, nodes)
with MLM Studio's recipe exactly, needing only torch and numpy:
  model/ (the initial weights as a Hugging Face folder), data/ (the corpus tokenized into .npy shards + manifest
  with sizes and sha256), train.py, launch.sh, requirements.txt, bundle.json, README.md (clusters, Slurm, the way
  back, and the equivalent \`accelerate launch run_mlm.py\` command line).

  --engine torchrun       the distributed engine (torchrun is the one there is)
  --run RUN_OR_CONFIG     a run config (*.mlm.json: a new model, or its model.init) or a run folder (its newest
                          checkpoint's weights, its tokenizer and config); the corpus is read from this folder
  --out BUNDLE            the folder to write (new or empty)
  --nnodes N              nodes launch.sh starts by default (1)
  --nproc-per-node M      processes per node (2; one per GPU on GPU nodes)
  --force                 replace a non-empty BUNDLE

Bring the result back with: mlm launch import --bundle BUNDLE --out RUN`;

const IMPORT_USAGE = `usage: mlm launch import --bundle BUNDLE --out RUN [--from OUTPUT]

Turns what train.py wrote (BUNDLE/output: metrics.jsonl, checkpoints/step-N) into the run folder RUN (new or
empty, e.g. .mlm/runs/my-cluster-run): the dashboard shows its curves, fill-mask and hovers use its weights,
\`mlm finetune --init RUN\` and \`mlm export --run RUN\` start from it.

  --bundle BUNDLE   the folder mlm launch wrote (its bundle.json, model/)
  --out RUN         the run folder to create
  --from OUTPUT     train.py's --out folder, when it was not BUNDLE/output`;

function positiveInt(v: string | undefined, flag: string, fallback: number): number {
  const n = numberFlag(v, flag, USAGE) ?? fallback;
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`--${flag} must be a whole number ≥ 1, got ${v}\n\n${USAGE}`, 2);
  return n;
}

/** A run folder (has config.json and checkpoints/) or a run config file. */
function launchSource(arg: string, cwd: string): LaunchSource {
  const p = path.resolve(cwd, arg);
  if (!fs.existsSync(p))
    throw new CliError(`--run ${arg} does not exist: pass a *.mlm.json run config or a run folder`);
  if (fs.statSync(p).isDirectory()) {
    if (!fs.existsSync(path.join(p, 'config.json'))) {
      throw new CliError(
        `--run ${arg} is a folder but not a run folder (no config.json): pass .mlm/runs/<run-id>`,
      );
    }
    return { kind: 'run', runDir: p, config: readResolvedRunConfig(p) };
  }
  return { kind: 'config', file: p, config: resolveRunConfig(loadRunConfigFile(p), p) };
}

export const launchCommand: Command = {
  name: 'launch',
  summary: 'hand a run to torchrun (PyTorch DDP, many GPUs/nodes) as a self-contained bundle',
  usage: USAGE,
  async run(argv) {
    const v = parseCliArgs(
      {
        args: argv,
        options: {
          engine: { type: 'string' },
          run: { type: 'string' },
          out: { type: 'string' },
          nnodes: { type: 'string' },
          'nproc-per-node': { type: 'string' },
          force: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      },
      USAGE,
    ).values;
    if (v.engine !== 'torchrun') {
      throw new CliError(
        `${v.engine === undefined ? 'missing --engine' : `unknown --engine ${v.engine}`}: use --engine torchrun\n\n${USAGE}`,
        2,
      );
    }
    if (!v.run) throw new CliError(`missing --run RUN_OR_CONFIG\n\n${USAGE}`, 2);
    if (!v.out) throw new CliError(`missing --out BUNDLE\n\n${USAGE}`, 2);
    const nnodes = positiveInt(v.nnodes, 'nnodes', 1);
    const nprocPerNode = positiveInt(v['nproc-per-node'], 'nproc-per-node', 2);
    const cwd = process.cwd();
    let source: LaunchSource;
    try {
      source = launchSource(v.run, cwd);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError((err as Error).message);
    }
    const callbacks = cliCallbacks(source.config);
    let r;
    try {
      r = await writeLaunchBundle({
        source,
        cwd,
        outDir: path.resolve(cwd, v.out),
        nnodes,
        nprocPerNode,
        force: v.force ?? false,
        callbacks,
      });
    } catch (err) {
      throw new CliError((err as Error).message);
    } finally {
      callbacks.onPhase?.('done');
    }
    const corpusRoots = (source.config.corpus.paths ?? [cwd]).map((p) => path.resolve(cwd, p));
    const inCorpus = corpusRoots.find((root) => {
      const rel = path.relative(root, r.outDir);
      return !rel.startsWith('..') && !path.isAbsolute(rel);
    });
    if (inCorpus && !r.outDir.split(path.sep).includes('.mlm')) {
      process.stderr.write(
        `mlm launch: warning: the bundle lies inside the corpus folder ${inCorpus}: its text/*.txt and README.md ` +
          'would be read as training text by the next run here; move it out, or add it to corpus.exclude\n',
      );
    }
    const { splits } = r.manifest;
    const steps = r.recipe.plan.totalSteps;
    process.stdout.write(
      `wrote the torchrun bundle ${r.outDir}\n` +
        `  model/  ${(r.parameters / 1e6).toFixed(2)}M parameters from ${r.recipe.initialWeights}\n` +
        `  data/   ${splits.train.examples} train + ${splits.validation.examples} held-out examples ` +
        `(${r.manifest.shards.length} shard(s), seqLen ${r.manifest.seqLen})\n` +
        `  plan    ${steps !== undefined ? `${steps} steps` : `time budget ${r.recipe.training.timeBudget}`}, ` +
        `batch ${r.recipe.training.batchSize}×${r.recipe.training.gradAccumulation}, ` +
        `${nnodes} node(s) × ${nprocPerNode} process(es)\n` +
        `run it:       cd ${path.relative(cwd, r.outDir) || '.'} && ./launch.sh   (clusters and Slurm: README.md there)\n` +
        `bring it back: mlm launch import --bundle ${v.out} --out .mlm/runs/<name>\n`,
    );
    return 0;
  },
};

export const launchImportCommand: Command = {
  name: 'launch import',
  summary: "bring a torchrun bundle's result back as a run folder (curves, fill-mask, finetune --init)",
  usage: IMPORT_USAGE,
  async run(argv) {
    const v = parseCliArgs(
      {
        args: argv,
        options: { bundle: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' } },
        strict: true,
        allowPositionals: false,
      },
      IMPORT_USAGE,
    ).values;
    if (!v.bundle) throw new CliError(`missing --bundle BUNDLE\n\n${IMPORT_USAGE}`, 2);
    if (!v.out) throw new CliError(`missing --out RUN\n\n${IMPORT_USAGE}`, 2);
    let r;
    try {
      r = await importLaunchOutput({ bundleDir: v.bundle, runDir: v.out, outputDir: v.from });
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    process.stdout.write(
      `imported ${r.steps} steps (${r.epochs.toFixed(2)} epochs${r.processes ? `, ${r.processes} process(es) on ${r.device}` : ''}) ` +
        `into ${r.runDir}: ${r.metrics} metric rows, checkpoints at step ${r.checkpoints.join(', ')}` +
        `${r.bestStep !== undefined ? ` (best: ${r.bestStep})` : ''}\n` +
        `use it: mlm fill --run ${v.out} "…[MASK]…" · mlm finetune --init ${v.out} … · the dashboard lists it\n`,
    );
    return 0;
  },
};
