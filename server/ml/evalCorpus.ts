/**
 * Evaluating a trained run on text (`mlm eval --corpus`, MLM: Evaluate Run…): the examples are cut as in training
 * (the run's seqLen and mode), masked once with the fixed EVAL_MASK_SEED, and scored for loss, masked-token accuracy
 * and perplexity, beside the unigram baseline (always predicting the most frequent token). The text is either a
 * corpus (files, folders, globs) or the run's own held-out split, rebuilt from its corpus as training split it.
 */
import path from 'node:path';
import type { ResolvedRunConfig } from '../../protocol/runConfig';
import { CorpusReader } from './corpus';
import { ExampleBuilder, type Example } from './data/examples';
import { evalBatches, evalMasking, EVAL_MASK_SEED } from './data/stream';
import { constantPredictionAccuracy, evaluateBatches, mostFrequentToken, type EvalResult } from './evaluate';
import { buildDatasets, readCorpus } from './train/prepare';
import type { MlmModel, Tokenizer } from './types';

/** The examples to evaluate and where the baseline's most frequent token is counted. */
export interface EvalText {
  examples: Example[];
  /** The examples whose most frequent token is the unigram baseline (the training split, else the examples). */
  baselineFrom: Example[];
  files: number;
  /** What was evaluated, in words: "3 file(s)" or "the held-out split (2 of 9 files)". */
  source: string;
}

export interface CorpusEvaluation extends EvalResult {
  examples: number;
  files: number;
  source: string;
  seqLen: number;
  /** Accuracy of always predicting `baselineToken` at the same masked positions. */
  baselineAccuracy: number;
  baselineToken: string;
  maskSeed: number;
}

/** Reads `roots` (files, folders, globs; folders with the run's corpus globs) into examples. */
export async function corpusEvalText(
  tokenizer: Tokenizer,
  config: ResolvedRunConfig,
  roots: readonly string[],
  cwd = process.cwd(),
): Promise<EvalText> {
  const reader = new CorpusReader({
    roots: roots.map((r) => path.resolve(cwd, r)),
    include: config.corpus.include,
    exclude: config.corpus.exclude,
    maxFileBytes: config.corpus.maxFileBytes,
  });
  const builder = new ExampleBuilder(tokenizer, { seqLen: config.data.seqLen, mode: config.data.mode });
  try {
    for await (const d of reader.documents()) builder.addText(d.text);
  } catch (err) {
    throw new Error(`cannot read the corpus: ${(err as Error).message}`);
  }
  const examples = builder.finish();
  const files = reader.report.filesRead;
  if (!examples.length) throw new Error(`no text found under ${roots.join(', ')} (files read: ${files})`);
  return { examples, baselineFrom: examples, files, source: `${files} file(s)` };
}

/**
 * The run's held-out split, rebuilt as training built it: its corpus (`corpusFiles` when the backend listed them,
 * else the config's corpus.paths or `cwd`) split by document with its validationSplit and seed. The baseline counts
 * the training split, as the trainer's did. Fails naming why when the run has no held-out examples.
 */
export async function heldOutEvalText(
  tokenizer: Tokenizer,
  config: ResolvedRunConfig,
  cwd: string,
  corpusFiles?: string[],
): Promise<EvalText> {
  if (config.data.validationSplit <= 0) {
    throw new Error(
      'the run held out no text (data.validationSplit is 0): evaluate it on a corpus instead (pick files or a folder)',
    );
  }
  const docs = await readCorpus(config, cwd, {}, corpusFiles);
  const data = buildDatasets(config, tokenizer, docs, {});
  if (!data.validation.length) {
    throw new Error(
      "the run's corpus gives no held-out examples now (too little text?): evaluate it on a corpus instead",
    );
  }
  return {
    examples: data.validation,
    baselineFrom: data.train,
    files: data.validationDocs,
    source: `the held-out split (${data.validationDocs} of ${docs.length} files)`,
  };
}

/** Scores `text` with the model; `onBatch` after every batch (done, total). Leak-free. */
export async function evaluateText(
  model: MlmModel,
  tokenizer: Tokenizer,
  config: ResolvedRunConfig,
  text: EvalText,
  opts: { batchSize?: number; onBatch?(done: number, total: number): void } = {},
): Promise<CorpusEvaluation> {
  const batchSize = opts.batchSize ?? config.training.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`the batch size must be a positive integer, got ${batchSize}`);
  const vocab = { vocabSize: tokenizer.vocabSize, special: tokenizer.special };
  const batches = evalBatches(text.examples, batchSize, evalMasking(config.data.masking), vocab, null);
  const r = await evaluateBatches(model, batches, opts.onBatch);
  const token = mostFrequentToken(text.baselineFrom, tokenizer.special);
  return {
    ...r,
    examples: text.examples.length,
    files: text.files,
    source: text.source,
    seqLen: config.data.seqLen,
    baselineAccuracy: constantPredictionAccuracy(batches, token),
    baselineToken: tokenizer.idToToken(token),
    maskSeed: EVAL_MASK_SEED,
  };
}

/** The result as the CLI prints it (and the VS Code report's plain-text part). */
export function formatCorpusEvaluation(e: CorpusEvaluation): string[] {
  return [
    `text:                   ${e.source}, ${e.examples} examples of ${e.seqLen} tokens`,
    `loss:                   ${e.loss.toFixed(4)}`,
    `masked-token accuracy:  ${(e.accuracy * 100).toFixed(2)}%`,
    `perplexity:             ${e.perplexity.toFixed(2)}`,
    `unigram baseline:       ${(e.baselineAccuracy * 100).toFixed(2)}% (always "${e.baselineToken}")`,
    `masked tokens:          ${e.tokens}`,
  ];
}
