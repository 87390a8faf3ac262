/**
 * Export of a run (its best, else newest, checkpoint) as a Hugging Face folder that
 * `BertForMaskedLM.from_pretrained(dir)` and `AutoTokenizer.from_pretrained(dir)` load:
 *   config.json (BertForMaskedLM, snake_case), model.safetensors (F32, {"format": "pt"}, decoder tied so not stored),
 *   vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json, README.md (model card).
 * Weights are read from the checkpoint files directly: no compute backend is needed.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  readMetrics,
  readResolvedRunConfig,
  readRunStatus,
  readState,
  readWeights,
  resolveCheckpoint,
  checkpointModelConfig,
} from '../checkpoint';
import { writeFileAtomicAsync } from '../atomicWrite';
import { toHfConfig } from '../model';
import { loadTokenizer, WordPieceTokenizer } from '../tokenizer';
import type { BertConfig, MetricRecord, NamedTensor, Tokenizer } from '../types';
import { expectedBertShapes, shapeText } from './hfState';
import { modelCard } from './modelCard';
import { writeSafetensorsFile } from './safetensors';

export class HfExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HfExportError';
  }
}

export const EXPORTED_FILES = [
  'config.json',
  'model.safetensors',
  'vocab.txt',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'README.md',
] as const;

export interface HfFolderContent {
  config: BertConfig;
  /** Weights by Hugging Face BertForMaskedLM name, HF shapes. */
  weights: ReadonlyMap<string, NamedTensor>;
  tokenizer: Tokenizer;
  /** README.md text. */
  card: string;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Refuses a non-empty output folder unless `force` (then only the exported files are replaced). */
async function prepareOutDir(outDir: string, force: boolean): Promise<void> {
  if (existsSync(outDir)) {
    const stat = await fs.stat(outDir);
    if (!stat.isDirectory())
      throw new HfExportError(`${outDir} exists and is not a folder; choose another --out`);
    const entries = await fs.readdir(outDir);
    if (entries.length && !force) {
      throw new HfExportError(
        `${outDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); ` +
          `choose an empty or new folder, or pass --force to overwrite the exported files`,
      );
    }
  }
  await fs.mkdir(outDir, { recursive: true });
}

/** Checks the weights are a complete BertForMaskedLM of this config; returns them in a stable order. */
function checkWeights(
  config: BertConfig,
  weights: ReadonlyMap<string, NamedTensor>,
): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedBertShapes(config)) {
    const t = weights.get(name);
    if (!t)
      throw new HfExportError(
        `the checkpoint lacks weight "${name}"; it is not a complete BERT MLM checkpoint`,
      );
    if (shapeText(t.shape) !== shapeText(shape)) {
      throw new HfExportError(
        `weight "${name}" has shape ${shapeText(t.shape)} but the model config needs ${shapeText(shape)}`,
      );
    }
    out.set(name, t);
  }
  return out;
}

/** Writes the Hugging Face folder. Returns the files written. */
export async function exportHfFolder(
  outDir: string,
  content: HfFolderContent,
  opts: { force?: boolean } = {},
): Promise<string[]> {
  const { config, tokenizer } = content;
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new HfExportError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize} embedding rows`,
    );
  }
  const weights = checkWeights(config, content.weights);
  return writeHfModelFolder(
    outDir,
    {
      hfConfig: {
        ...toHfConfig(config),
        pad_token_id: tokenizer.special.pad,
        classifier_dropout: null,
        use_cache: true,
      },
      weights,
      tokenizer,
      card: content.card,
      modelMaxLength: config.maxPositionEmbeddings,
    },
    opts,
  );
}

/**
 * Writes a Hugging Face model folder: config.json as given, model.safetensors (F32, {"format": "pt"}), the
 * tokenizer files (vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json) and README.md.
 * Refuses a non-empty folder unless `force`. Returns the files written.
 */
export async function writeHfModelFolder(
  outDir: string,
  content: {
    hfConfig: Record<string, unknown>;
    weights: ReadonlyMap<string, NamedTensor>;
    tokenizer: Tokenizer;
    card: string;
    modelMaxLength: number;
  },
  opts: { force?: boolean } = {},
): Promise<string[]> {
  const { tokenizer, weights } = content;
  await prepareOutDir(outDir, opts.force ?? false);
  const special = {
    unk_token: tokenizer.idToToken(tokenizer.special.unk),
    sep_token: tokenizer.idToToken(tokenizer.special.sep),
    pad_token: tokenizer.idToToken(tokenizer.special.pad),
    cls_token: tokenizer.idToToken(tokenizer.special.cls),
    mask_token: tokenizer.maskToken,
  };
  await writeFileAtomicAsync(path.join(outDir, 'config.json'), json(content.hfConfig));
  await writeSafetensorsFile(path.join(outDir, 'model.safetensors'), weights, { format: 'pt' });
  await tokenizer.save(outDir);
  // A WordPiece vocabulary is a BertTokenizer; any other tokenizer.json (RoBERTa's byte-level BPE, XLM-R's
  // Unigram) loads as the generic fast tokenizer, which takes tokenizer.json as it is.
  const wordPiece = tokenizer instanceof WordPieceTokenizer;
  await writeFileAtomicAsync(
    path.join(outDir, 'tokenizer_config.json'),
    json(
      wordPiece
        ? {
            tokenizer_class: 'BertTokenizer',
            do_lower_case: tokenizer.lowercase,
            strip_accents: null,
            tokenize_chinese_chars: true,
            model_max_length: content.modelMaxLength,
            clean_up_tokenization_spaces: true,
            ...special,
          }
        : {
            tokenizer_class: 'PreTrainedTokenizerFast',
            model_max_length: content.modelMaxLength,
            clean_up_tokenization_spaces: true,
            bos_token: special.cls_token,
            eos_token: special.sep_token,
            ...special,
          },
    ),
  );
  await writeFileAtomicAsync(path.join(outDir, 'special_tokens_map.json'), json(special));
  await writeFileAtomicAsync(path.join(outDir, 'README.md'), content.card);
  return EXPORTED_FILES.filter((f) => wordPiece || f !== 'vocab.txt').map((f) => path.join(outDir, f));
}

export interface ExportRunResult {
  outDir: string;
  files: string[];
  step: number;
  checkpointDir: string;
  parameters: number;
}

/** Exports a run folder (best, else newest complete checkpoint) or one checkpoint folder. */
export async function exportRun(
  runOrCheckpoint: string,
  outDir: string,
  opts: { force?: boolean } = {},
): Promise<ExportRunResult> {
  let resolved: { runDir: string; checkpointDir: string };
  try {
    resolved = resolveCheckpoint(runOrCheckpoint);
  } catch (err) {
    throw new HfExportError((err as Error).message);
  }
  const { runDir, checkpointDir } = resolved;
  const runConfig = readResolvedRunConfig(runDir);
  const tokenizer = await loadTokenizer(runDir);
  const model = checkpointModelConfig(checkpointDir, runConfig, tokenizer.vocabSize);
  if (model.arch !== 'bert') {
    throw new HfExportError(
      `${runDir} is a ${model.arch} run; only BERT runs have a Hugging Face equivalent (BertForMaskedLM) to export`,
    );
  }
  const state = readState(checkpointDir);
  const weights = readWeights(checkpointDir);
  const metrics = readMetrics(runDir).filter((m) => m.step <= state.step);
  const evals = metrics.filter((m) => m.split === 'eval');
  const evalAtStep: MetricRecord | undefined =
    evals.filter((m) => m.step === state.step).at(-1) ?? evals.sort((a, b) => a.loss - b.loss)[0];
  const status = readRunStatus(runDir);
  const card = modelCard({
    name: runConfig.name ?? path.basename(runDir),
    config: model,
    vocabSize: tokenizer.vocabSize,
    lowercase: tokenizer.lowercase,
    step: state.step,
    epochs: state.epoch,
    // The folder name only: the card is meant to be shared, the local path is not.
    baseModel: runConfig.model.init ? path.basename(runConfig.model.init) : null,
    corpus: { include: runConfig.corpus.include, exclude: runConfig.corpus.exclude },
    trainTokens: state.trainTokens,
    training: {
      batchSize: runConfig.training.batchSize,
      seqLen: runConfig.data.seqLen,
      lr: runConfig.training.lr,
      maskProbability: runConfig.data.masking.probability,
      seed: runConfig.training.seed,
    },
    eval: evalAtStep,
    lastTrain: metrics.filter((m) => m.split === 'train').at(-1),
    baselineAccuracy: status?.baselineAccuracy,
    backend: status?.backend,
  });
  const files = await exportHfFolder(outDir, { config: model, weights, tokenizer, card }, opts);
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  return { outDir, files, step: state.step, checkpointDir, parameters };
}
