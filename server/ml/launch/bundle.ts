/**
 * `mlm launch --engine torchrun`: a run handed to PyTorch DDP as a self-contained folder (docs/scale-out.md):
 *   bundle.json         the recipe train.py follows (run config, plan, masking, special ids, launch shape)
 *   model/              the initial weights as a Hugging Face folder (from scratch, model.init, or a run's checkpoint)
 *   data/               the corpus already tokenized: .npy shards of token ids, word starts and lengths; manifest.json
 *   text/               the same split as plain text, for the `accelerate launch run_mlm.py` alternative
 *   train.py launch.sh requirements.txt README.md
 * The batches train.py takes are the ones our trainer would take (the same examples, order and masks), so a run
 * continues on a cluster exactly as it would here; importBundle.ts brings the result back as a run folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { initBackend } from '../backend';
import { checkpointModelConfig, newestUsableCheckpoint, readWeights } from '../checkpoint';
import type { Example } from '../data/examples';
import { splitDocuments } from '../data/split';
import { EVAL_MASK_SEED, evalMasking } from '../data/stream';
import { exportHfFolder, modelCard, prepareModelInit } from '../hf';
import { createModel } from '../model';
import { loadTokenizer } from '../tokenizer';
import { makePlan, type TrainPlan } from '../train/plan';
import { initOutputBiasToPrior } from '../train/priorBias';
import { buildDatasets, prepareTokenizer, readCorpus } from '../train/prepare';
import { modelConfigFor } from '../train/modelConfig';
import type { BertConfig, NamedTensor, SpecialTokenIds, Tokenizer, TrainCallbacks } from '../types';
import { bundleReadme, launchScript, REQUIREMENTS } from './files';
import { npyBytes } from './npy';
import { templateFile } from './templates';

/** bundle.json's format; train.py refuses another. */
export const BUNDLE_FORMAT = 1;
export const BUNDLE_FILE = 'bundle.json';
/** Where train.py writes by default (relative to the bundle). */
export const BUNDLE_OUTPUT = 'output';
/** Rows per shard file: at most about 64 MiB of token ids. */
const SHARD_BYTES = 64 * 1024 * 1024;

export type LaunchEngine = 'torchrun';

/** Where the initial weights come from. */
export type LaunchSource =
  | { kind: 'config'; config: ResolvedRunConfig; file: string }
  | { kind: 'run'; runDir: string; config: ResolvedRunConfig };

export interface LaunchOptions {
  source: LaunchSource;
  /** Workspace root: corpus globs and relative paths resolve against it. */
  cwd: string;
  outDir: string;
  nnodes: number;
  nprocPerNode: number;
  /** Overwrite a non-empty outDir. */
  force?: boolean;
  callbacks?: TrainCallbacks;
}

/** bundle.json: everything train.py needs besides the weights and the shards. */
export interface BundleRecipe {
  format: number;
  engine: LaunchEngine;
  createdAt: string;
  /** Where the initial weights came from, in words (a config file, model.init, or a run's checkpoint). */
  initialWeights: string;
  /** The run config (paths are this machine's); `mlm launch import` gives it to the imported run. */
  runConfig: ResolvedRunConfig;
  special: SpecialTokenIds;
  data: {
    seqLen: number;
    masking: ResolvedRunConfig['data']['masking'];
    /** How the held-out examples are masked (BERT's rates whatever the run trains with). */
    evalMasking: ResolvedRunConfig['data']['masking'];
    evalMaskSeed: number;
    trainExamples: number;
    validationExamples: number;
  };
  training: ResolvedRunConfig['training'];
  plan: TrainPlan;
  checkpoint: ResolvedRunConfig['checkpoint'];
  launch: { nnodes: number; nprocPerNode: number };
}

export interface ShardFile {
  file: string;
  dtype: 'int32' | 'uint8';
  shape: number[];
  bytes: number;
  sha256: string;
}

export interface DataManifest {
  format: number;
  seqLen: number;
  vocabSize: number;
  splits: Record<'train' | 'validation', { examples: number; tokens: number; shards: number }>;
  shards: Array<{
    split: 'train' | 'validation';
    index: number;
    rows: number;
    files: { ids: ShardFile; word_start: ShardFile; lengths: ShardFile };
  }>;
}

export interface LaunchResult {
  outDir: string;
  recipe: BundleRecipe;
  manifest: DataManifest;
  /** The command launch.sh runs, for the message. */
  command: string;
  parameters: number;
}

/** Refuses a non-empty output folder unless `force`. */
async function prepareOutDir(outDir: string, force: boolean): Promise<void> {
  if (existsSync(outDir)) {
    const entries = await fs.readdir(outDir);
    if (entries.length && !force) {
      throw new Error(
        `${outDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): ` +
          'choose a new --out folder, or pass --force to replace the bundle there',
      );
    }
    for (const e of entries) await fs.rm(path.join(outDir, e), { recursive: true, force: true });
  }
  await fs.mkdir(outDir, { recursive: true });
}

/** The model's shape, its initial weights (Hugging Face names and shapes) and the tokenizer, from the source. */
async function initialModel(
  opts: LaunchOptions,
  config: ResolvedRunConfig,
  docsTokenizer: () => Promise<Tokenizer>,
): Promise<{
  modelConfig: BertConfig;
  tokenizer: Tokenizer;
  weights: (train: readonly Example[]) => Map<string, NamedTensor>;
  what: string;
}> {
  const { source, cwd, callbacks: cb } = opts;
  const seed = config.training.seed;
  if (source.kind === 'run') {
    const ck = newestUsableCheckpoint(source.runDir);
    if (!ck) {
      throw new Error(
        `${source.runDir} has no complete checkpoint: train it first, or launch its config file`,
      );
    }
    const tokenizer = await loadTokenizer(source.runDir);
    const modelConfig = checkpointModelConfig(ck.dir, config, tokenizer.vocabSize);
    if (modelConfig.arch !== 'bert')
      throw new Error(`${source.runDir} is a ${modelConfig.arch} run: ${BERT_ONLY}`);
    const weights = readWeights(ck.dir);
    return { modelConfig, tokenizer, weights: () => weights, what: `${ck.dir} (step ${ck.step})` };
  }
  await initBackend({ backend: 'cpu' });
  if (config.model.init) {
    const init = await prepareModelInit(config.model.init, {
      cwd,
      dropout: config.model.dropout,
      onLog: cb?.onLog,
    });
    return {
      modelConfig: init.config,
      tokenizer: init.tokenizer,
      weights: () => hfStateOf(init.createModel(seed)),
      what: `model.init ${init.source}`,
    };
  }
  const tokenizer = await docsTokenizer();
  const modelConfig = modelConfigFor(config, tokenizer.vocabSize);
  if (modelConfig.arch !== 'bert') throw new Error(`model.arch is ${modelConfig.arch}: ${BERT_ONLY}`);
  return {
    modelConfig,
    tokenizer,
    // As a new run starts (train/prepareRun.ts): seeded parameters, the output bias at the unigram prior.
    weights: (train) => {
      const model = createModel(modelConfig, { seed });
      initOutputBiasToPrior(model, train, tokenizer.special);
      return hfStateOf(model);
    },
    what: `a new model (preset ${config.model.preset}, seed ${seed})`,
  };
}

const BERT_ONLY = 'only BERT runs can be launched on torchrun (train.py is BertForMaskedLM)';

function hfStateOf(model: ReturnType<typeof createModel>): Map<string, NamedTensor> {
  try {
    return model.toHfState();
  } finally {
    model.dispose();
  }
}

/** Writes one split's shards; returns their manifest entries. */
async function writeShards(
  dataDir: string,
  split: 'train' | 'validation',
  examples: readonly Example[],
  seqLen: number,
): Promise<DataManifest['shards']> {
  const perShard = Math.max(1, Math.floor(SHARD_BYTES / (seqLen * 4)));
  const out: DataManifest['shards'] = [];
  for (let start = 0, index = 0; start < examples.length; start += perShard, index++) {
    const rows = examples.slice(start, start + perShard);
    const ids = new Int32Array(rows.length * seqLen);
    const starts = new Uint8Array(rows.length * seqLen);
    const lengths = new Int32Array(rows.length);
    rows.forEach((ex, r) => {
      ids.set(ex.ids, r * seqLen);
      starts.set(ex.wordStart, r * seqLen);
      lengths[r] = ex.length;
    });
    const name = `${split}-${String(index).padStart(5, '0')}`;
    const write = async (
      kind: string,
      data: Int32Array | Uint8Array,
      shape: number[],
    ): Promise<ShardFile> => {
      const file = `${name}.${kind}.npy`;
      const bytes = npyBytes(data, shape);
      await fs.writeFile(path.join(dataDir, file), bytes);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      return {
        file,
        dtype: data instanceof Int32Array ? 'int32' : 'uint8',
        shape,
        bytes: bytes.length,
        sha256,
      };
    };
    out.push({
      split,
      index,
      rows: rows.length,
      files: {
        ids: await write('ids', ids, [rows.length, seqLen]),
        word_start: await write('word_start', starts, [rows.length, seqLen]),
        lengths: await write('lengths', lengths, [rows.length]),
      },
    });
  }
  return out;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function writeLaunchBundle(opts: LaunchOptions): Promise<LaunchResult> {
  const { source, cwd, callbacks: cb = {} } = opts;
  const config = source.config;
  if (config.task) {
    throw new Error(
      'this run config fine-tunes a task (it has a task section): mlm launch hands over pretraining only',
    );
  }
  for (const [flag, n] of [
    ['--nnodes', opts.nnodes],
    ['--nproc-per-node', opts.nprocPerNode],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number ≥ 1, got ${n}`);
  }
  const outDir = path.resolve(opts.outDir);
  await prepareOutDir(outDir, opts.force ?? false);

  const docs = await readCorpus(config, cwd, cb);
  const init = await initialModel(opts, config, () => prepareTokenizer(config, cwd, docs, cb));
  const { modelConfig, tokenizer } = init;
  if (config.data.seqLen > modelConfig.maxPositionEmbeddings) {
    throw new Error(
      `data.seqLen (${config.data.seqLen}) exceeds the model's ${modelConfig.maxPositionEmbeddings} positions: lower data.seqLen`,
    );
  }
  const data = buildDatasets(config, tokenizer, docs, cb);
  const weights = init.weights(data.train);
  const t = config.training;
  const plan = makePlan(t, Math.ceil(data.train.length / t.batchSize));

  cb.onPhase?.('checkpointing');
  cb.onProgress?.({ message: 'writing the model folder' });
  await exportHfFolder(path.join(outDir, 'model'), {
    config: modelConfig,
    weights,
    tokenizer,
    card: modelCard({
      name: `${config.name ?? 'MLM Studio run'} (initial weights of a torchrun launch)`,
      config: modelConfig,
      vocabSize: tokenizer.vocabSize,
      lowercase: tokenizer.lowercase,
      step: 0,
    }),
  });

  cb.onProgress?.({ message: 'writing the token shards' });
  const dataDir = path.join(outDir, 'data');
  await fs.mkdir(dataDir, { recursive: true });
  const seqLen = config.data.seqLen;
  const shards = [
    ...(await writeShards(dataDir, 'train', data.train, seqLen)),
    ...(await writeShards(dataDir, 'validation', data.validation, seqLen)),
  ];
  const tokens = (xs: readonly Example[]) => xs.reduce((s, e) => s + e.length, 0);
  const count = (split: 'train' | 'validation') => shards.filter((s) => s.split === split).length;
  const manifest: DataManifest = {
    format: BUNDLE_FORMAT,
    seqLen,
    vocabSize: tokenizer.vocabSize,
    splits: {
      train: { examples: data.train.length, tokens: tokens(data.train), shards: count('train') },
      validation: {
        examples: data.validation.length,
        tokens: tokens(data.validation),
        shards: count('validation'),
      },
    },
    shards,
  };
  await fs.writeFile(path.join(dataDir, 'manifest.json'), json(manifest));

  // The same documents as text, for run_mlm.py (which tokenizes them itself).
  const split = splitDocuments(docs, config.data.validationSplit, t.seed);
  await fs.mkdir(path.join(outDir, 'text'), { recursive: true });
  await fs.writeFile(
    path.join(outDir, 'text', 'train.txt'),
    split.train.map((d) => d.text.trim()).join('\n\n'),
  );
  if (split.validation.length) {
    await fs.writeFile(
      path.join(outDir, 'text', 'validation.txt'),
      split.validation.map((d) => d.text.trim()).join('\n\n'),
    );
  }

  const recipe: BundleRecipe = {
    format: BUNDLE_FORMAT,
    engine: 'torchrun',
    createdAt: new Date().toISOString(),
    initialWeights: init.what,
    runConfig: config,
    special: tokenizer.special,
    data: {
      seqLen,
      masking: config.data.masking,
      evalMasking: evalMasking(config.data.masking),
      evalMaskSeed: EVAL_MASK_SEED,
      trainExamples: data.train.length,
      validationExamples: data.validation.length,
    },
    training: t,
    plan,
    checkpoint: config.checkpoint,
    launch: { nnodes: opts.nnodes, nprocPerNode: opts.nprocPerNode },
  };
  await fs.writeFile(path.join(outDir, BUNDLE_FILE), json(recipe));
  await fs.copyFile(templateFile('train.py'), path.join(outDir, 'train.py'));
  const script = launchScript(recipe.launch);
  await fs.writeFile(path.join(outDir, 'launch.sh'), script.text, { mode: 0o755 });
  await fs.writeFile(path.join(outDir, 'requirements.txt'), REQUIREMENTS);
  await fs.writeFile(
    path.join(outDir, 'README.md'),
    bundleReadme({ recipe, manifest, hasValidationText: split.validation.length > 0 }),
  );
  let parameters = 0;
  for (const w of weights.values()) parameters += w.data.length;
  cb.onLog?.('info', `bundle written to ${outDir}`);
  return { outDir, recipe, manifest, command: script.command, parameters };
}
