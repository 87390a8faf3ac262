/**
 * Preparation of a run's data: read the corpus, train or load the tokenizer, split by document and
 * build the examples. Reports through callbacks only.
 */
import path from 'node:path';
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { CorpusReader, formatCorpusReport } from '../corpus';
import { ExampleBuilder, type Example } from '../data/examples';
import { splitDocuments } from '../data/split';
import { loadTokenizer, trainWordPiece } from '../tokenizer';
import type { CorpusDocument, Tokenizer, TrainCallbacks } from '../types';

export interface PreparedData {
  tokenizer: Tokenizer;
  train: Example[];
  validation: Example[];
  trainDocs: number;
  validationDocs: number;
  trainTokens: number;
}

export async function readCorpus(
  config: ResolvedRunConfig,
  cwd: string,
  cb: TrainCallbacks,
  corpusFiles?: string[],
  signal?: AbortSignal,
): Promise<CorpusDocument[]> {
  cb.onPhase?.('reading-corpus');
  const reader = new CorpusReader({
    roots: (corpusFiles?.length ? corpusFiles : (config.corpus.paths ?? [cwd])).map((f) =>
      path.resolve(cwd, f),
    ),
    include: config.corpus.include,
    exclude: config.corpus.exclude,
    maxFileBytes: config.corpus.maxFileBytes,
    cwd,
  });
  const docs: CorpusDocument[] = [];
  let chars = 0;
  for await (const d of reader.documents()) {
    if (signal?.aborted) break;
    docs.push(d);
    chars += d.text.length;
    if (docs.length % 50 === 0)
      cb.onProgress?.({ message: `read ${docs.length} files (${chars} characters)` });
  }
  cb.onLog?.('info', formatCorpusReport(reader.report));
  if (!docs.some((d) => d.text.trim())) {
    throw new Error(
      `no text found: corpus.include ${JSON.stringify(config.corpus.include)} matched no readable text files under ${(corpusFiles ?? config.corpus.paths ?? [cwd]).join(', ')}; ` +
        'check the globs (they are relative to the workspace root) or add .txt/.md files',
    );
  }
  return docs;
}

export async function prepareTokenizer(
  config: ResolvedRunConfig,
  cwd: string,
  docs: readonly CorpusDocument[],
  cb: TrainCallbacks,
): Promise<Tokenizer> {
  if (config.tokenizer.path) {
    const dir = path.resolve(cwd, config.tokenizer.path);
    cb.onLog?.('info', `using the tokenizer in ${dir}`);
    return loadTokenizer(dir);
  }
  cb.onPhase?.('training-tokenizer');
  const { vocabSize, minFrequency, lowercase } = config.tokenizer;
  const tokenizer = await trainWordPiece(
    docs.map((d) => d.text),
    { vocabSize, minFrequency, lowercase },
    (p) => cb.onProgress?.({ message: p.message, fraction: p.fraction }),
  );
  cb.onLog?.('info', `trained a WordPiece vocabulary of ${tokenizer.vocabSize} tokens`);
  return tokenizer;
}

/** Splits by document and builds examples; a corpus of one document holds out its last examples instead. */
export function buildDatasets(
  config: ResolvedRunConfig,
  tokenizer: Tokenizer,
  docs: readonly CorpusDocument[],
  cb: TrainCallbacks,
): PreparedData {
  cb.onPhase?.('building-examples');
  const { seqLen, mode, validationSplit } = config.data;
  const split = splitDocuments(docs, validationSplit, config.training.seed);
  const build = (ds: readonly CorpusDocument[]) => {
    const b = new ExampleBuilder(tokenizer, { seqLen, mode });
    ds.forEach((d, i) => {
      b.addText(d.text);
      if (i % 50 === 49)
        cb.onProgress?.({ message: `tokenized ${i + 1}/${ds.length} files`, fraction: (i + 1) / ds.length });
    });
    return b.finish();
  };
  const train = build(split.train);
  let validation = build(split.validation);
  if (!validation.length && validationSplit > 0 && train.length >= 2) {
    const n = Math.max(1, Math.round(train.length * validationSplit));
    validation = train.splice(train.length - n, n);
    cb.onLog?.(
      'warn',
      `the corpus has a single document: holding out its last ${n} example(s) for evaluation`,
    );
  }
  if (!train.length) {
    throw new Error('the corpus produced no training examples: add more text or lower data.validationSplit');
  }
  const trainTokens = train.reduce((s, e) => s + e.length, 0);
  cb.onLog?.(
    'info',
    `${train.length} training examples (${trainTokens} tokens) from ${split.train.length} file(s), ` +
      `${validation.length} held-out examples from ${split.validation.length} file(s), seqLen ${seqLen}, mode ${mode}`,
  );
  return {
    tokenizer,
    train,
    validation,
    trainDocs: split.train.length,
    validationDocs: split.validation.length,
    trainTokens,
  };
}
