/**
 * `mlm tokenizer train|encode|report`: train a WordPiece tokenizer on a corpus, encode lines of stdin, and report
 * how well a tokenizer's vocabulary covers a corpus.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CorpusReader, formatCorpusReport, totalSkipped, type CorpusReport } from '../../ml/corpus';
import {
  coverageReport,
  formatCoverageReport,
  loadTokenizer,
  trainWordPiece,
  WordPieceTokenizer,
  type AnyTokenizer,
} from '../../ml/tokenizer';
import { CliError, type Command, parseCliArgs } from '../command';
import { ProgressBar } from '../progress';

const TRAIN_USAGE = `usage: mlm tokenizer train --corpus <dir|file|glob>... --out DIR [options]

Trains a WordPiece vocabulary (BERT normalisation, "##" continuation pieces, [PAD] [UNK] [CLS] [SEP] [MASK])
on the corpus and writes DIR/tokenizer.json (Hugging Face format) and DIR/vocab.txt. Prints the corpus report.

  --corpus P          directory, file or glob; repeat for several (directories read **/*.txt and **/*.md)
  --include GLOB      files to read inside directories (repeatable; default **/*.txt and **/*.md)
  --exclude GLOB      files or folders to leave out (repeatable)
  --vocab-size N      vocabulary size (default 8192)
  --min-frequency N   merge only pairs seen at least N times (default 2)
  --cased             keep case and accents (default: lowercase and strip accents)
  --out DIR           output directory (created if missing)`;

const ENCODE_USAGE = `usage: mlm tokenizer encode --tokenizer DIR|FILE [--json] [--no-special]

Reads lines on stdin and prints the token ids of each line: space-separated, or a JSON array per line with
--json. Ids are wrapped in [CLS] … [SEP] unless --no-special. DIR holds tokenizer.json or vocab.txt.`;

const REPORT_USAGE = `usage: mlm tokenizer report --tokenizer DIR|FILE --corpus <dir|file|glob>... [--top N]

Vocabulary coverage of a corpus: share of words kept whole, mean pieces per word, and the most frequent words
that split into 3+ pieces or become [UNK] (the top N of each, default 20).`;

function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>(
  argv: string[],
  options: T,
  usage: string,
) {
  return parseCliArgs({ args: argv, options, strict: true, allowPositionals: false }, usage).values;
}

function intOption(
  value: string | undefined,
  name: string,
  dflt: number,
  min: number,
  usage: string,
): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(`--${name} must be an integer >= ${min}, got "${value}"\n\n${usage}`, 2);
  }
  return n;
}

function requireCorpus(corpus: string[] | undefined, usage: string): string[] {
  if (!corpus?.length) throw new CliError(`no corpus given: pass --corpus <dir|file|glob>\n\n${usage}`, 2);
  return corpus;
}

/** Fails unless the corpus had text: names what was found and skipped. */
function checkNotEmpty(report: CorpusReport, roots: string[]): void {
  if (report.filesRead === 0) {
    const skipped = totalSkipped(report);
    throw new CliError(
      `empty corpus: no readable .txt/.md file under ${roots.join(', ')}` +
        (skipped ? ` (${skipped} skipped)\n${formatCorpusReport(report)}` : '') +
        '\nPoint --corpus at text files, or use --include to select other extensions.',
    );
  }
  if (report.characters === 0) {
    throw new CliError(
      `empty corpus: the ${report.filesRead} file(s) read under ${roots.join(', ')} hold no text`,
    );
  }
}

async function checkWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.mlm-write-test-${process.pid}`);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(probe, '');
    await fs.rm(probe, { force: true });
  } catch (err) {
    throw new CliError(
      `cannot write the output directory ${dir}: ${(err as Error).message}; choose another --out`,
    );
  }
}

async function load(spec: string | undefined, usage: string): Promise<AnyTokenizer> {
  if (!spec) throw new CliError(`missing --tokenizer DIR|FILE\n\n${usage}`, 2);
  try {
    return await loadTokenizer(spec);
  } catch (err) {
    throw new CliError(`bad tokenizer: ${(err as Error).message}`);
  }
}

/** Wraps the corpus reader's errors (missing path) as CLI errors. */
async function* corpusTexts(reader: CorpusReader): AsyncGenerator<string> {
  try {
    yield* reader.texts();
  } catch (err) {
    throw new CliError(`cannot read the corpus: ${(err as Error).message}`);
  }
}

export const tokenizerTrainCommand: Command = {
  name: 'tokenizer train',
  summary: 'train a WordPiece tokenizer on a corpus (tokenizer.json + vocab.txt)',
  usage: TRAIN_USAGE,
  async run(argv) {
    const v = parse(
      argv,
      {
        corpus: { type: 'string', multiple: true },
        include: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        'vocab-size': { type: 'string' },
        'min-frequency': { type: 'string' },
        cased: { type: 'boolean' },
        out: { type: 'string' },
      },
      TRAIN_USAGE,
    );
    const roots = requireCorpus(v.corpus, TRAIN_USAGE);
    if (!v.out) throw new CliError(`missing --out DIR\n\n${TRAIN_USAGE}`, 2);
    const vocabSize = intOption(v['vocab-size'], 'vocab-size', 8192, 6, TRAIN_USAGE);
    const minFrequency = intOption(v['min-frequency'], 'min-frequency', 2, 1, TRAIN_USAGE);
    await checkWritable(v.out);

    const reader = new CorpusReader({ roots, include: v.include, exclude: v.exclude });
    const bar = new ProgressBar('training tokenizer');
    const t0 = Date.now();
    const tokenizer = await trainWordPiece(
      corpusTexts(reader),
      { vocabSize, minFrequency, lowercase: !v.cased },
      (p) => bar.update(p.fraction, p.message),
    );
    bar.done(`in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.stdout.write(`${formatCorpusReport(reader.report)}\n`);
    checkNotEmpty(reader.report, roots);
    try {
      await tokenizer.save(v.out);
    } catch (err) {
      throw new CliError(`cannot write the tokenizer to ${v.out}: ${(err as Error).message}`);
    }
    process.stdout.write(
      `tokenizer: ${tokenizer.vocabSize} pieces, ${v.cased ? 'cased' : 'uncased'} → ` +
        `${path.join(v.out, 'tokenizer.json')}, ${path.join(v.out, 'vocab.txt')}\n`,
    );
    if (tokenizer.vocabSize < vocabSize) {
      process.stdout.write(
        `note: the corpus supports only ${tokenizer.vocabSize} of the ${vocabSize} pieces asked for ` +
          `(no pair of pieces occurs ${minFrequency}+ times); add text or lower --min-frequency\n`,
      );
    }
    return 0;
  },
};

export const tokenizerEncodeCommand: Command = {
  name: 'tokenizer encode',
  summary: 'encode lines of stdin into token ids',
  usage: ENCODE_USAGE,
  async run(argv) {
    const v = parse(
      argv,
      { tokenizer: { type: 'string' }, json: { type: 'boolean' }, 'no-special': { type: 'boolean' } },
      ENCODE_USAGE,
    );
    const tokenizer = await load(v.tokenizer, ENCODE_USAGE);
    const special = !v['no-special'];
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let out = '';
    for await (const line of rl) {
      const ids = tokenizer.encodeIds(line, special);
      out += v.json ? `${JSON.stringify(ids)}\n` : `${ids.join(' ')}\n`;
      if (out.length > 1 << 16) {
        if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once('drain', r));
        out = '';
      }
    }
    if (out) await new Promise<void>((r) => process.stdout.write(out, () => r()));
    return 0;
  },
};

export const tokenizerReportCommand: Command = {
  name: 'tokenizer report',
  summary: 'vocabulary coverage of a corpus for a tokenizer',
  usage: REPORT_USAGE,
  async run(argv) {
    const v = parse(
      argv,
      { tokenizer: { type: 'string' }, corpus: { type: 'string', multiple: true }, top: { type: 'string' } },
      REPORT_USAGE,
    );
    const roots = requireCorpus(v.corpus, REPORT_USAGE);
    const top = intOption(v.top, 'top', 20, 0, REPORT_USAGE);
    const tokenizer = await load(v.tokenizer, REPORT_USAGE);
    if (!(tokenizer instanceof WordPieceTokenizer)) {
      throw new CliError(
        `the coverage report reads WordPiece vocabularies; ${v.tokenizer} is a ${tokenizer.kind} tokenizer`,
      );
    }
    const reader = new CorpusReader({ roots });
    const report = await coverageReport(tokenizer, corpusTexts(reader), { top });
    process.stdout.write(`${formatCorpusReport(reader.report)}\n`);
    checkNotEmpty(reader.report, roots);
    process.stdout.write(
      `tokenizer: ${tokenizer.vocabSize} pieces, ${tokenizer.lowercase ? 'uncased' : 'cased'}\n` +
        `${formatCoverageReport(report)}\n`,
    );
    return 0;
  },
};
