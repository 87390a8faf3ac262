/**
 * `mlm import --hf DIR | --hub ID [--revision REV] --out RUN_DIR [--corpus P... [--add-words N]]`: a Hugging Face
 * folder, or a Hub model (downloaded into the Hugging Face cache when missing), becomes a run folder (one checkpoint
 * at step 0) that fill-mask, eval, export and `model.init` use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../ml/backend';
import { CorpusReader, formatCorpusReport } from '../../ml/corpus';
import { importTaskFolder, isTaskModelFolder } from '../../ml/finetune';
import { formatImportReport, importToRunDir } from '../../ml/hf';
import { formatCoverageReport } from '../../ml/tokenizer';
import { CliError, type Command, parseCliArgs } from '../command';
import { resolveModelWithProgress } from '../hubModel';

const USAGE = `usage: mlm import (--hf DIR | --hub ID [--revision REV]) --out RUN_DIR [--corpus P]... [--add-words N]
                  [--min-frequency K] [--seed N]

Imports a Hugging Face BERT checkpoint (config.json, model.safetensors, vocab.txt and/or tokenizer.json;
BertForMaskedLM, BertForPreTraining or BertModel — a missing MLM head is initialised and tied to the embeddings)
into a new run folder RUN_DIR with one checkpoint (step 0). Then:
  mlm fill --run RUN_DIR "text with [MASK]"       predict with the pretrained model
  "model": { "init": "RUN_DIR" } in a run config  continue pretraining on your text (or init: DIR directly)
  mlm export --run RUN_DIR --out HF_DIR           write it back in the Hugging Face layout

  --hf DIR            a local Hugging Face model folder (or a folder of the Hugging Face cache)
  --hub ID            a model on the Hugging Face Hub (ORG/NAME, e.g. google-bert/bert-base-uncased): taken from
                      the Hugging Face cache, or downloaded into it with its config, tokenizer and safetensors
                      weights (resumable; HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE/HF_HOME and HF_HUB_OFFLINE apply)
  --revision REV      branch, tag or commit of --hub (default main)
  --corpus P          your domain text (directory, file or glob; repeatable): prints the vocabulary coverage
  --add-words N       add up to N frequent corpus words that the vocabulary splits into pieces (new embedding
                      rows = mean of their pieces' rows); the coverage report is printed before and after
  --min-frequency K   a word must occur at least K times to be added (default 5)
  --seed N            seeds the initialisation of missing head weights (default 0)

A task model folder (BertForSequenceClassification / BertForTokenClassification, e.g. written by mlm export) becomes a
fine-tune run folder: mlm predict, mlm eval --data, mlm export and mlm finetune --init then use it.`;

function parse(argv: string[]) {
  return parseCliArgs(
    {
      args: argv,
      options: {
        hf: { type: 'string' },
        hub: { type: 'string' },
        revision: { type: 'string' },
        out: { type: 'string' },
        corpus: { type: 'string', multiple: true },
        'add-words': { type: 'string' },
        'min-frequency': { type: 'string' },
        seed: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    },
    USAGE,
  ).values;
}

function intOption(value: string | undefined, name: string, dflt: number, min: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`--${name} must be an integer >= ${min}, got "${value}"`, 2);
  return n;
}

async function readTexts(roots: string[]): Promise<string[]> {
  const reader = new CorpusReader({ roots });
  const texts: string[] = [];
  try {
    for await (const t of reader.texts()) texts.push(t);
  } catch (err) {
    throw new CliError(`cannot read the corpus: ${(err as Error).message}`);
  }
  process.stdout.write(`${formatCorpusReport(reader.report)}\n`);
  if (!texts.some((t) => t.trim()))
    throw new CliError(`no text found under ${roots.join(', ')}; check --corpus`);
  return texts;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import a Hugging Face BERT checkpoint folder as a run (for fill-mask and continued pretraining)',
  usage: USAGE,
  async run(argv) {
    const v = parse(argv);
    if (!v.hf && !v.hub) {
      throw new CliError(`missing --hf DIR (a Hugging Face folder) or --hub ID (a Hub model)\n\n${USAGE}`, 2);
    }
    if (v.hf && v.hub) throw new CliError('give either --hf DIR or --hub ID, not both', 2);
    if (v.revision && !v.hub) throw new CliError('--revision goes with --hub ID', 2);
    if (!v.out) throw new CliError(`missing --out RUN_DIR (a new folder for the run)\n\n${USAGE}`, 2);
    if (v.hf && isTaskModelFolder(path.resolve(v.hf))) {
      if (v.corpus?.length)
        throw new CliError('--corpus and --add-words are for MLM checkpoints, not task models', 2);
      let t;
      try {
        t = await importTaskFolder(path.resolve(v.hf), path.resolve(v.out));
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      process.stdout.write(
        `imported a ${t.head.task} model (${t.head.labels.length} labels: ${t.head.labels.slice(0, 8).join(', ')}${t.head.labels.length > 8 ? ', …' : ''})\n` +
          `run folder: ${t.runDir}\n` +
          `  predict:   mlm predict --run ${t.runDir} "some text"\n` +
          `  continue:  mlm finetune --init ${t.runDir} --train FILE --out NEW_DIR\n`,
      );
      return 0;
    }
    const addWords = intOption(v['add-words'], 'add-words', 0, 0);
    const minFrequency = intOption(v['min-frequency'], 'min-frequency', 5, 1);
    const seed = intOption(v.seed, 'seed', 0, 0);
    if (addWords > 0 && !v.corpus?.length)
      throw new CliError('--add-words needs --corpus: the words come from your text', 2);
    const texts = v.corpus?.length ? await readTexts(v.corpus) : undefined;
    if (v.hf && !fs.existsSync(v.hf)) {
      throw new CliError(`--hf ${v.hf} does not exist; give a model folder, or --hub ID for a Hub model`, 2);
    }
    const spec = (v.hub ?? v.hf) as string;
    const source = (await resolveModelWithProgress(spec, { cwd: process.cwd(), revision: v.revision })).dir;
    await initBackend({ backend: 'cpu' });
    let r;
    try {
      r = await importToRunDir(source, path.resolve(v.out), {
        seed,
        corpus: texts ? { texts, extension: { maxWords: addWords, minFrequency } } : undefined,
      });
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    process.stdout.write(`${formatImportReport(r.report, r.config)}\n`);
    if (r.coverageBefore) {
      process.stdout.write(
        `\nvocabulary coverage of the corpus${r.coverageAfter ? ' before adding words' : ''}:\n`,
      );
      process.stdout.write(`${formatCoverageReport(r.coverageBefore)}\n`);
    }
    if (r.coverageAfter) {
      process.stdout.write(`\nadded ${r.added.length} word(s) (vocabulary now ${r.vocabSize} tokens):\n`);
      for (const w of r.added.slice(0, 20)) {
        process.stdout.write(`  ${String(w.count).padStart(8)}  ${w.word}  (was ${w.pieces.join(' ')})\n`);
      }
      if (r.added.length > 20)
        process.stdout.write(`  … and ${r.added.length - 20} more (see import.json)\n`);
      process.stdout.write(
        `\nvocabulary coverage after adding words:\n${formatCoverageReport(r.coverageAfter)}\n`,
      );
    }
    process.stdout.write(
      `\nrun folder: ${r.runDir}\n` +
        `  fill-mask:  mlm fill --run ${r.runDir} "text with [MASK]"\n` +
        `  continue:   set "model": { "init": "${r.runDir}" } in a run config, then mlm train --config FILE\n`,
    );
    return 0;
  },
};
