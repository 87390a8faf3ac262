/**
 * `mlm eval`: held-out metrics of a trained run on a corpus — loss, masked-token accuracy, perplexity —
 * with masks drawn from a fixed seed, so numbers compare across runs and machines.
 */
import { CorpusReader } from '../../ml/corpus';
import { ExampleBuilder } from '../../ml/data/examples';
import { evalBatches, evalMasking, EVAL_MASK_SEED } from '../../ml/data/stream';
import { evaluateBatches } from '../../ml/evaluate';
import { isTaskModelFolder } from '../../ml/finetune';
import { BACKEND_USAGE, CliError, type Command, parseCliArgs } from '../command';
import { loadRunForCli } from '../loadRun';
import { evalTaskModel } from './evalTask';

const USAGE = `usage: mlm eval --run DIR --corpus <dir|file|glob>... [--json] [--batch-size N] [--backend B]
       mlm eval --run FT_DIR --data FILE [--json] [--batch-size N] [--backend B]

Evaluates the run's best (else newest) checkpoint on the corpus: every file is cut into examples as in
training (the run's seqLen and mode) and masked with a fixed seed (${EVAL_MASK_SEED}): 15 % of tokens, 80/10/10, whatever the run trained with.
Prints loss, masked-token accuracy, perplexity and the number of masked tokens.

With a fine-tuned model (mlm finetune) and --data, prints the task's metrics on the labelled file instead:
accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix (classification); micro/macro-F1
(multilabel); MSE, MAE, Pearson, Spearman (regression); entity-level precision / recall / F1 (token).
Rows with a label the model does not know are skipped and counted.

  --run DIR          a run folder (.mlm/runs/<run-id>) or one of its checkpoints/step-N folders
  --data FILE        labelled data for a fine-tuned model (the formats of mlm finetune --train)
  --corpus P         directory, file or glob (repeatable; directories read the run's corpus.include globs)
  --batch-size N     examples per forward pass (default: the run's batch size)
  --backend B        ${BACKEND_USAGE}
  --json             print one JSON object`;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a trained run on a corpus, or a fine-tuned model on labelled data',
  usage: USAGE,
  async run(argv) {
    const v = parseCliArgs(
      {
        args: argv,
        options: {
          run: { type: 'string' },
          corpus: { type: 'string', multiple: true },
          data: { type: 'string' },
          json: { type: 'boolean' },
          'batch-size': { type: 'string' },
          backend: { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      },
      USAGE,
    ).values;
    if (!v.run) throw new CliError(`no run given: pass --run .mlm/runs/<run-id>\n\n${USAGE}`, 2);
    if (v.data !== undefined || isTaskModelFolder(v.run)) {
      if (!v.data)
        throw new CliError(`${v.run} is a fine-tuned model: pass --data FILE (labelled data)\n\n${USAGE}`, 2);
      return evalTaskModel(v.run, v.data, { json: v.json, batchSize: v['batch-size'], backend: v.backend });
    }
    if (!v.corpus?.length)
      throw new CliError(`no corpus given: pass --corpus <dir|file|glob>\n\n${USAGE}`, 2);
    const { model, tokenizer, config, step, checkpointDir, runDir } = await loadRunForCli(v.run, v.backend);
    try {
      const batchSize = v['batch-size'] !== undefined ? Number(v['batch-size']) : config.training.batchSize;
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new CliError(`--batch-size must be a positive integer, got "${v['batch-size']}"`, 2);
      }
      const reader = new CorpusReader({
        roots: v.corpus,
        include: config.corpus.include,
        exclude: config.corpus.exclude,
        maxFileBytes: config.corpus.maxFileBytes,
      });
      const builder = new ExampleBuilder(tokenizer, { seqLen: config.data.seqLen, mode: config.data.mode });
      try {
        for await (const d of reader.documents()) builder.addText(d.text);
      } catch (err) {
        throw new CliError(`cannot read the corpus: ${(err as Error).message}`);
      }
      const examples = builder.finish();
      if (!examples.length) {
        throw new CliError(
          `no text found under ${v.corpus.join(', ')} (files read: ${reader.report.filesRead})`,
        );
      }
      const vocab = { vocabSize: tokenizer.vocabSize, special: tokenizer.special };
      const batches = evalBatches(examples, batchSize, evalMasking(config.data.masking), vocab, null);
      const r = await evaluateBatches(model, batches);
      const result = {
        run: runDir,
        checkpoint: checkpointDir,
        step,
        files: reader.report.filesRead,
        examples: examples.length,
        loss: r.loss,
        accuracy: r.accuracy,
        perplexity: r.perplexity,
        tokens: r.tokens,
        maskSeed: EVAL_MASK_SEED,
      };
      if (v.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else {
        process.stdout.write(
          [
            `checkpoint:             ${checkpointDir} (step ${step})`,
            `corpus:                 ${result.files} file(s), ${result.examples} examples of ${config.data.seqLen} tokens`,
            `loss:                   ${r.loss.toFixed(4)}`,
            `masked-token accuracy:  ${(r.accuracy * 100).toFixed(2)}%`,
            `perplexity:             ${r.perplexity.toFixed(2)}`,
            `masked tokens:          ${r.tokens}`,
          ].join('\n') + '\n',
        );
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
