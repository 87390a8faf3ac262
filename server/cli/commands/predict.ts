/**
 * `mlm predict --run FT_DIR "text" … | --file FILE [--json]`: a fine-tuned model's label(s) and every label's
 * probability for each input (token classification: the entities with their character spans).
 */
import { promises as fs } from 'node:fs';
import { initBackend, type BackendChoice } from '../../ml/backend';
import {
  loadTaskModel,
  parsePredictInputs,
  predictTexts,
  type LoadedTaskModel,
  type TextPrediction,
} from '../../ml/finetune';
import { BACKEND_USAGE, CliError, type Command, parseCliArgs } from '../command';

const USAGE = `usage: mlm predict --run FT_DIR "text" … | --file FILE [--json] [--top-k N] [--backend B]

Predicts with a fine-tuned model: a fine-tune run (its best, else newest checkpoint), one of its checkpoints, or a
Hugging Face BertForSequenceClassification / BertForTokenClassification folder. For each input it prints the
predicted label(s) and every label's probability (multilabel: each label's sigmoid against the threshold;
regression: the values; token classification: the entities with their character spans).

  --run DIR       the fine-tuned model
  --file FILE     inputs, one per line (.jsonl: one {"text": …, "text_pair"?: …} per line)
  --top-k N       probabilities shown per input (default: all; --json always gives all)
  --json          one JSON object per input (JSON Lines)
  --backend B     ${BACKEND_USAGE}`;

async function readInputs(file: string): Promise<Array<{ text: string; textPair?: string }>> {
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parsePredictInputs(raw, file).map(({ line: _line, ...input }) => input);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

function formatPrediction(p: TextPrediction, topK: number | undefined): string {
  const head = p.text.length > 70 ? `${p.text.slice(0, 67)}…` : p.text;
  const lines = [`${JSON.stringify(head)}${p.truncated ? ' (truncated)' : ''}`];
  if (p.entities) {
    if (!p.entities.length) lines.push('  no entities');
    for (const e of p.entities)
      lines.push(
        `  ${e.type.padEnd(8)} ${JSON.stringify(e.text)} [${e.start}, ${e.end}) ${(e.score * 100).toFixed(1)}%`,
      );
    return lines.join('\n');
  }
  if (p.values) {
    lines.push(`  → ${p.values.map((v) => v.toFixed(4)).join(', ')}`);
    return lines.join('\n');
  }
  lines.push(`  → ${p.labels.length ? p.labels.join(', ') : '(no label over the threshold)'}`);
  for (const s of p.scores.slice(0, topK ?? p.scores.length)) {
    lines.push(`    ${(s.score * 100).toFixed(1).padStart(5)}%  ${s.label}`);
  }
  return lines.join('\n');
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'predict labels (and probabilities) with a fine-tuned model',
  usage: USAGE,
  async run(argv) {
    const { values: v, positionals } = parseCliArgs(
      {
        args: argv,
        options: {
          run: { type: 'string' },
          file: { type: 'string' },
          json: { type: 'boolean' },
          'top-k': { type: 'string' },
          backend: { type: 'string' },
        },
        strict: true,
        allowPositionals: true,
      },
      USAGE,
    );
    if (!v.run) throw new CliError(`missing --run FT_DIR\n\n${USAGE}`, 2);
    if (!positionals.length && !v.file)
      throw new CliError(`give texts to classify or --file FILE\n\n${USAGE}`, 2);
    if (positionals.length && v.file) throw new CliError('give texts or --file, not both', 2);
    const topK = v['top-k'] !== undefined ? Number(v['top-k']) : undefined;
    if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
      throw new CliError(`--top-k must be a positive integer, got "${v['top-k']}"`, 2);
    }
    const inputs = v.file ? await readInputs(v.file) : positionals.map((text) => ({ text }));
    let loaded: LoadedTaskModel;
    try {
      await initBackend({ backend: (v.backend ?? 'auto') as BackendChoice });
      loaded = await loadTaskModel(v.run);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    try {
      const batch = 64;
      for (let i = 0; i < inputs.length; i += batch) {
        const preds = await predictTexts(loaded, inputs.slice(i, i + batch));
        const text = v.json
          ? preds.map((p) => JSON.stringify(p)).join('\n')
          : preds.map((p) => formatPrediction(p, topK)).join('\n');
        process.stdout.write(`${text}\n`);
        if (!v.json && inputs.length > batch)
          process.stderr.write(`predicted ${Math.min(inputs.length, i + batch)} / ${inputs.length}\n`);
      }
    } finally {
      loaded.model.dispose();
    }
    return 0;
  },
};
