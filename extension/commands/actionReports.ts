/**
 * The run actions' results as Markdown (shown in a preview) and as one-line messages: an evaluation (masked-token
 * accuracy, loss, perplexity, the unigram baseline; a fine-tuned run's task metrics and per-label table) and a
 * tokenizer coverage report. Pure functions (no vscode), so the tables are unit-tested.
 */
import type {
  CoverageReportRequest,
  CoverageWordRow,
  EvaluateRunRequest,
  MlmEvaluation,
  TaskEvaluationResult,
} from '../../protocol/actions';
import { escapeMarkdown } from '../../protocol/shared/markdown';

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');
const num = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const PCT_KEYS = new Set(['accuracy', 'subsetAccuracy', 'tokenAccuracy']);
/** A table cell: Markdown (the table's pipes included) escaped. */
const cell = escapeMarkdown;

/** "accuracy 41.20 % (baseline 12.50 %), loss 3.1234, perplexity 22.75" or the task's main metrics. */
export function evaluationSummary(r: EvaluateRunRequest.Result): string {
  const e = r.evaluation;
  if (e.kind === 'mlm') {
    return `masked-token accuracy ${pct(e.accuracy)} (unigram baseline ${pct(e.baselineAccuracy)}), loss ${num(e.loss)}, perplexity ${num(e.perplexity, 2)}`;
  }
  return Object.entries(e.metrics)
    .slice(0, 4)
    .map(([k, v]) => `${k} ${PCT_KEYS.has(k) ? pct(v) : num(v)}`)
    .join(', ');
}

function mlmTable(e: MlmEvaluation): string[] {
  return [
    '| metric | value |',
    '| --- | --- |',
    `| masked-token accuracy | ${pct(e.accuracy)} |`,
    `| unigram baseline (always "${cell(e.baselineToken)}") | ${pct(e.baselineAccuracy)} |`,
    `| loss | ${num(e.loss)} |`,
    `| perplexity | ${num(e.perplexity, 2)} |`,
    `| masked tokens | ${e.tokens} |`,
    `| examples | ${e.examples} of ${e.seqLen} tokens |`,
    '',
    `Text: ${escapeMarkdown(e.source)}. Masks drawn with the fixed seed ${e.maskSeed} (15 %, 80/10/10), so the numbers compare across runs.`,
  ];
}

function taskTables(e: TaskEvaluationResult): string[] {
  const out = [
    `Task: ${e.task} · ${e.examples} examples of ${escapeMarkdown(e.file)}` +
      (e.skipped ? ` · ${e.skipped} rows skipped` : '') +
      (e.truncated ? ` · ${e.truncated} truncated` : ''),
    '',
    '| metric | value |',
    '| --- | --- |',
    ...Object.entries(e.metrics).map(([k, v]) => `| ${k} | ${PCT_KEYS.has(k) ? pct(v) : num(v)} |`),
  ];
  if (e.perLabel.length) {
    out.push('', '| label | precision | recall | F1 | support |', '| --- | --- | --- | --- | --- |');
    for (const p of e.perLabel)
      out.push(
        `| ${cell(p.label)} | ${num(p.precision, 3)} | ${num(p.recall, 3)} | ${num(p.f1, 3)} | ${p.support} |`,
      );
  }
  if (e.confusion) {
    out.push('', 'Confusion matrix (rows: true label, columns: predicted)', '');
    out.push(`| | ${e.labels.map(cell).join(' | ')} |`, `| --- |${e.labels.map(() => ' --- |').join('')}`);
    e.confusion.forEach((row, i) => out.push(`| **${cell(e.labels[i])}** | ${row.join(' | ')} |`));
  }
  for (const s of e.skippedReasons) out.push('', `- skipped ${escapeMarkdown(s)}`);
  return out;
}

export function evaluationMarkdown(r: EvaluateRunRequest.Result): string {
  const e = r.evaluation;
  return [
    `# Evaluation of ${escapeMarkdown(r.runId)}`,
    '',
    `Checkpoint \`${r.checkpoint}\`${r.step !== undefined ? ` (step ${r.step})` : ''} · ${(r.elapsedMs / 1000).toFixed(1)} s`,
    '',
    ...(e.kind === 'mlm' ? mlmTable(e) : taskTables(e)),
    '',
    '```text',
    ...r.report,
    '```',
    '',
  ].join('\n');
}

const share = (n: number, d: number): string => (d ? `${((100 * n) / d).toFixed(1)} %` : 'n/a');

function wordTable(rows: CoverageWordRow[]): string[] {
  return [
    '| word | count | pieces |',
    '| --- | --- | --- |',
    ...rows.map(
      (w) =>
        `| ${cell(w.word)} | ${w.count} | ${w.pieces.map((p) => `\`${p.replace(/`/g, "'")}\``).join(' ')} |`,
    ),
  ];
}

/** "84.2 % of 1,234 words kept whole, 1.21 pieces per word, 0.3 % [UNK]". */
export function coverageSummary(r: CoverageReportRequest.Result): string {
  return `${share(r.wholeWords, r.words)} of ${r.words.toLocaleString('en-US')} words kept whole, ${r.words ? (r.pieces / r.words).toFixed(2) : 'n/a'} pieces per word, ${share(r.unknownWords, r.words)} [UNK]`;
}

export function coverageMarkdown(r: CoverageReportRequest.Result, source: string): string {
  const out = [
    `# Tokenizer coverage: ${escapeMarkdown(r.runId)}`,
    '',
    `Text: ${escapeMarkdown(source)} · vocabulary of ${r.vocabSize.toLocaleString('en-US')} pieces, ${r.lowercase ? 'uncased' : 'cased'}`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| words | ${r.words} (${r.distinctWords} distinct) |`,
    `| kept whole (one piece) | ${share(r.wholeWords, r.words)} |`,
    `| mean pieces per word | ${r.words ? (r.pieces / r.words).toFixed(3) : 'n/a'} |`,
    `| [UNK] | ${share(r.unknownWords, r.words)} of words |`,
  ];
  if (r.fragmented.length)
    out.push('', '## Most frequent words split into 3+ pieces', '', ...wordTable(r.fragmented));
  if (r.unknown.length) out.push('', '## Most frequent words that become [UNK]', '', ...wordTable(r.unknown));
  if (!r.fragmented.length && !r.unknown.length)
    out.push('', 'No word of the text splits into 3 or more pieces or becomes [UNK].');
  return `${out.join('\n')}\n`;
}
