/** `mlm fill`: the most likely tokens for each [MASK] of a text, from a trained run or a Hugging Face model. */
import { fillMask } from '../../ml/infer/fillMask';
import type { FillMaskResult, Tokenizer } from '../../ml/types';
import { BACKEND_USAGE, CliError, type Command, parseCliArgs } from '../command';
import { loadModelForCli, loadRunForCli } from '../loadRun';

const USAGE = `usage: mlm fill (--run DIR | --model ID|DIR) "text with [MASK]"... [--top-k 5] [--json] [--backend B]

Prints, for every [MASK] of each text, the top-k tokens with their probabilities, using the run's best
(else newest) checkpoint, or a Hugging Face model. Several texts and several masks per text are fine.

  --run DIR      a run folder (.mlm/runs/<run-id>) or one of its checkpoints/step-N folders
  --model ID     a Hugging Face Hub id (ORG/NAME[@REVISION]; from the Hugging Face cache, downloaded into it when
                 missing) or a Hugging Face model folder, e.g. --model google-bert/bert-base-uncased
  --top-k N      candidates per mask (default 5)
  --backend B    ${BACKEND_USAGE}
  --json         one JSON object per text: {"text", "masks": [[{token, id, score, sequence}]]}`;

/** Pretty lines for one text's fill-mask result. */
export function formatFill(text: string, masks: FillMaskResult[][], tokenizer: Tokenizer): string {
  const lines = [text];
  masks.forEach((cands, i) => {
    if (masks.length > 1) lines.push(`  ${tokenizer.maskToken} #${i + 1}`);
    const width = Math.max(...cands.map((c) => c.token.length), 4);
    for (const c of cands) {
      const bar = '█'.repeat(Math.max(1, Math.round(c.score * 20)));
      lines.push(`    ${c.token.padEnd(width)}  ${(c.score * 100).toFixed(1).padStart(5)}%  ${bar}`);
    }
  });
  return lines.join('\n');
}

export const fillCommand: Command = {
  name: 'fill',
  summary: 'fill the [MASK] tokens of a text with a trained run',
  usage: USAGE,
  async run(argv) {
    const parsed = parseCliArgs(
      {
        args: argv,
        options: {
          run: { type: 'string' },
          model: { type: 'string' },
          'top-k': { type: 'string' },
          json: { type: 'boolean' },
          backend: { type: 'string' },
        },
        strict: true,
        allowPositionals: true,
      },
      USAGE,
    );
    const v = parsed.values;
    const texts = parsed.positionals;
    if (!v.run && !v.model) {
      throw new CliError(`no model given: pass --run .mlm/runs/<run-id> or --model ORG/NAME\n\n${USAGE}`, 2);
    }
    if (v.run && v.model) throw new CliError('give either --run DIR or --model ID, not both', 2);
    if (!texts.length)
      throw new CliError(
        `no text given: pass a text with [MASK], e.g. "Paris is the [MASK] of France."\n\n${USAGE}`,
        2,
      );
    const topK = v['top-k'] !== undefined ? Number(v['top-k']) : 5;
    if (!Number.isInteger(topK) || topK < 1)
      throw new CliError(`--top-k must be a positive integer, got "${v['top-k']}"`, 2);
    const { model, tokenizer } = v.model
      ? await loadModelForCli(v.model, v.backend)
      : await loadRunForCli(v.run as string, v.backend);
    try {
      const out: string[] = [];
      for (const text of texts) {
        let masks: FillMaskResult[][];
        try {
          masks = await fillMask(model, tokenizer, text, { topK });
        } catch (err) {
          throw new CliError(
            `${(err as Error).message} (text: ${JSON.stringify(text)}; write the mask as ${tokenizer.maskToken})`,
          );
        }
        out.push(v.json ? JSON.stringify({ text, masks }) : formatFill(text, masks, tokenizer));
      }
      process.stdout.write(`${out.join(v.json ? '\n' : '\n\n')}\n`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
