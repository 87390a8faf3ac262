/**
 * `mlm import`: turns a Hugging Face BERT folder into an MLM Studio run folder with one checkpoint (step 0), so that
 * fill-mask, eval and export work on it like on a trained run, and a run config can continue from it
 * (`model.init: <run folder>`). Optionally adds frequent domain words the checkpoint's vocabulary splits
 * (vocabExtension.ts), reporting the vocabulary coverage of the corpus before and after.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig } from '../../../protocol/runConfig';
import {
  saveCheckpoint,
  writeRunConfig,
  writeRunStatus,
  CHECKPOINT_MODEL_CONFIG,
  emptyCheckpointState,
  type CheckpointState,
} from '../checkpoint';
import { toHfConfig } from '../model';
import type { BertConfig } from '../types';
import { coverageReport, WordPieceTokenizer, type CoverageReport } from '../tokenizer';
import { createModelFromHf, loadInitCheckpoint, type HfCheckpoint, type HfImportReport } from './importHf';
import {
  extendVocabulary,
  findSplitWords,
  type VocabExtensionOptions,
  type WordCandidate,
} from './vocabExtension';

export interface ImportToRunOptions {
  /** Run name recorded in config.json; default the source folder's name. */
  name?: string;
  /** Seeds the initialisation of parameters the checkpoint lacks (the MLM head of a BertModel). */
  seed?: number;
  /** Domain texts for the vocabulary extension and the coverage report; extension only when maxWords > 0. */
  corpus?: { texts: string[]; extension: VocabExtensionOptions };
}

export interface ImportToRunResult {
  runDir: string;
  checkpointDir: string;
  report: HfImportReport;
  /** The model's config (vocabSize includes added words). */
  config: BertConfig;
  /** Words added to the vocabulary, with the pieces they used to split into. */
  added: WordCandidate[];
  coverageBefore?: CoverageReport;
  coverageAfter?: CoverageReport;
  vocabSize: number;
}

export async function importToRunDir(
  hfDir: string,
  runDir: string,
  opts: ImportToRunOptions = {},
): Promise<ImportToRunResult> {
  if (existsSync(runDir) && (await fs.readdir(runDir)).length) {
    throw new Error(`${runDir} already exists and is not empty; choose a new --out folder`);
  }
  const source = path.resolve(hfDir);
  let ckpt: HfCheckpoint = await loadInitCheckpoint(source);
  let added: WordCandidate[] = [];
  let coverageBefore: CoverageReport | undefined;
  let coverageAfter: CoverageReport | undefined;
  if (opts.corpus) {
    const { texts, extension } = opts.corpus;
    const wordPiece = ckpt.tokenizer;
    if (!(wordPiece instanceof WordPieceTokenizer)) {
      throw new Error(
        `--corpus (vocabulary coverage and --add-words) needs a WordPiece vocabulary; ${source} has a ` +
          `${wordPiece.kind} tokenizer: import it without --corpus`,
      );
    }
    coverageBefore = await coverageReport(wordPiece, texts);
    if (extension.maxWords > 0) {
      added = findSplitWords(wordPiece, texts, extension);
      const grown = extendVocabulary({ ...ckpt, tokenizer: wordPiece }, added);
      ckpt = { ...ckpt, ...grown, report: { ...ckpt.report, vocabSize: grown.tokenizer.vocabSize } };
      coverageAfter = await coverageReport(grown.tokenizer, texts);
    }
  }

  const { config, tokenizer } = ckpt;
  // The run config records where the weights came from and the model's shape (so a later `mlm train --resume`
  // or `mlm eval` agrees with the checkpoint); seqLen must fit the checkpoint's positions.
  const parsed = parseRunConfig({
    name: opts.name ?? `${path.basename(source)} (imported)`,
    tokenizer: { vocabSize: tokenizer.vocabSize, lowercase: tokenizer.lowercase },
    model: {
      arch: 'bert',
      init: source,
      dropout: config.hiddenDropoutProb,
      overrides: {
        hiddenSize: config.hiddenSize,
        numHiddenLayers: config.numHiddenLayers,
        numAttentionHeads: config.numAttentionHeads,
        intermediateSize: config.intermediateSize,
        maxPositionEmbeddings: config.maxPositionEmbeddings,
      },
    },
    data: { seqLen: Math.min(128, config.maxPositionEmbeddings) },
    training: { seed: opts.seed ?? 0 },
  });
  if (!parsed.ok) {
    throw new Error(`the imported model does not fit a run config: ${parsed.errors.join('; ')}`);
  }
  const model = createModelFromHf(ckpt, opts.seed ?? 0);
  let weights;
  try {
    weights = model.toHfState();
  } finally {
    model.dispose();
  }

  await fs.mkdir(runDir, { recursive: true });
  writeRunConfig(runDir, parsed.config);
  await tokenizer.save(runDir);
  const now = new Date().toISOString();
  const state: CheckpointState = { ...emptyCheckpointState(), savedAt: now };
  const saved = saveCheckpoint(runDir, {
    state,
    weights,
    optimizer: new Map(),
    extraFiles: new Map([[CHECKPOINT_MODEL_CONFIG, `${JSON.stringify(toHfConfig(config), null, 2)}\n`]]),
  });
  writeRunStatus(runDir, {
    id: path.basename(runDir),
    createdAt: now,
    updatedAt: now,
    status: 'completed',
    pid: process.pid,
    steps: 0,
    epochs: 0,
  });
  const result: ImportToRunResult = {
    runDir,
    checkpointDir: saved.dir,
    report: ckpt.report,
    config,
    added,
    coverageBefore,
    coverageAfter,
    vocabSize: tokenizer.vocabSize,
  };
  await fs.writeFile(
    path.join(runDir, 'import.json'),
    `${JSON.stringify({ source, report: ckpt.report, added, vocabSize: tokenizer.vocabSize }, null, 2)}\n`,
  );
  return result;
}
