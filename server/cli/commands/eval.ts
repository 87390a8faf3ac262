/**
 * `mlm eval`: held-out metrics of a trained run on a corpus — loss, masked-token accuracy, perplexity —
 * with masks drawn from a fixed seed, so numbers compare across runs and machines.
 */
import { EVAL_MASK_SEED } from '../../ml/data/stream';
import { corpusEvalText, evaluateText, formatCorpusEvaluation } from '../../ml/evalCorpus';
import { isTaskModelFolder } from '../../ml/finetune';
import { BACKEND_USAGE, CliError, type Command, parseCliArgs } from '../command';
import { loadRunForCli } from '../loadRun';
import { evalTaskModel } from './evalTask';

const USAGE = `usage: mlm eval --run DIR --corpus <dir|file|glob>... [--json] [--batch-size N] [--backend B]
       mlm eval --run FT_DIR --data FILE [--json] [--batch-size N] [--backend B]

Evaluates the run's best (else newest) checkpoint on the corpus: every file is cut into examples as in
training (the run's seqLen and mode) and masked with a fixed seed (${EVAL_MASK_SEED}): 15 % of tokens, 80/10/10, whatever the run trained with.
Prints loss, masked-token accuracy, perplexity, the unigram baseline (always the corpus's most frequent token)
and the number of masked tokens.

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
      let r;
      try {
        r = await evaluateText(model, tokenizer, config, await corpusEvalText(tokenizer, config, v.corpus), {
          batchSize,
        });
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const { source: _source, seqLen: _seqLen, ...metrics } = r;
      if (v.json) {
        process.stdout.write(
          `${JSON.stringify({ run: runDir, checkpoint: checkpointDir, step, ...metrics })}\n`,
        );
      } else {
        process.stdout.write(
          [`checkpoint:             ${checkpointDir} (step ${step})`, ...formatCorpusEvaluation(r)].join(
            '\n',
          ) + '\n',
        );
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
