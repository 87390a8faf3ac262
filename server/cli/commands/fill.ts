/** `mlm fill`: the most likely tokens for each [MASK] of a text, from a trained run or a Hugging Face model. */
import { fillMaskAll, modelScorer, type FillAllResult } from '../../ml/infer/fillMask';
import { MAX_BEAM } from '../../ml/infer/joint';
import type { FillMaskResult, Tokenizer } from '../../ml/types';
import { BACKEND_USAGE, CliError, type Command, parseCliArgs } from '../command';
import { loadModelForCli, loadRunForCli } from '../loadRun';

const USAGE = `usage: mlm fill (--run DIR | --model ID|DIR) "text with [MASK]"... [--top-k 5] [--beam 5]
                [--targets W1,W2,...] [--json] [--backend B]

Prints, for every [MASK] of each text, the top-k tokens with their probabilities, using the run's best
(else newest) checkpoint, or a Hugging Face model. Several texts and several masks per text are fine: a text with
several masks also gets its best whole-sentence completions, found jointly (the most confident mask filled first,
the text scored again, a beam of candidates ranked by pseudo-log-likelihood).

  --run DIR      a run folder (.mlm/runs/<run-id>) or one of its checkpoints/step-N folders
  --model ID     a Hugging Face Hub id (ORG/NAME[@REVISION]; from the Hugging Face cache, downloaded into it when
                 missing) or a Hugging Face model folder, e.g. --model google-bert/bert-base-uncased
  --top-k N      candidates per mask (default 5)
  --beam N       whole-sentence completions for a text with several masks, 0..${MAX_BEAM} (default 5; 0: none)
  --targets LIST only score these comma-separated words (a word of several word pieces: the product of its
                 pieces' probabilities), e.g. --targets good,bad
  --backend B    ${BACKEND_USAGE}
  --json         one JSON object per text: {"text", "masks": [[{token, id, score, sequence, pieces?}]],
                 "joint"?: [{tokens, ids, sequence, pll, score}], "jointNote"?}`;

/** Pretty lines for one text's fill-mask result (and its joint completions, best first). */
export function formatFill(
  text: string,
  masks: FillMaskResult[][],
  tokenizer: Tokenizer,
  joint?: Pick<FillAllResult, 'joint' | 'jointNote'>,
): string {
  const lines = [text];
  if (joint?.joint?.length) {
    lines.push('  best completions (joint)');
    for (const j of joint.joint) {
      lines.push(`    ${(j.score * 100).toFixed(1).padStart(5)}%  ${j.sequence}   [PLL ${j.pll.toFixed(2)}]`);
    }
  } else if (joint?.jointNote) lines.push(`  (no joint completions: ${joint.jointNote})`);
  masks.forEach((cands, i) => {
    if (masks.length > 1) lines.push(`  ${tokenizer.maskToken} #${i + 1}`);
    const width = Math.max(...cands.map((c) => c.token.length), 4);
    for (const c of cands) {
      const token = c.pieces ? `${c.token} (${c.pieces.join(' ')})` : c.token;
      const bar = '█'.repeat(Math.max(1, Math.round(c.score * 20)));
      lines.push(`    ${token.padEnd(width)}  ${(c.score * 100).toFixed(1).padStart(5)}%  ${bar}`);
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
          beam: { type: 'string' },
          targets: { type: 'string' },
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
    const beam = v.beam !== undefined ? Number(v.beam) : undefined;
    if (beam !== undefined && (!Number.isInteger(beam) || beam < 0 || beam > MAX_BEAM))
      throw new CliError(`--beam must be an integer in 0..${MAX_BEAM}, got "${v.beam}"`, 2);
    const targets = v.targets
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (targets && !targets.length)
      throw new CliError('--targets needs comma-separated words, e.g. --targets good,bad', 2);
    const { model, tokenizer } = v.model
      ? await loadModelForCli(v.model, v.backend)
      : await loadRunForCli(v.run as string, v.backend);
    try {
      const out: string[] = [];
      for (const text of texts) {
        let r: FillAllResult;
        try {
          r = await fillMaskAll(modelScorer(model), tokenizer, text, { topK, beam, targets });
        } catch (err) {
          throw new CliError(
            `${(err as Error).message} (text: ${JSON.stringify(text)}; write the mask as ${tokenizer.maskToken})`,
          );
        }
        out.push(v.json ? JSON.stringify({ text, ...r }) : formatFill(text, r.masks, tokenizer, r));
      }
      process.stdout.write(`${out.join(v.json ? '\n' : '\n\n')}\n`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
