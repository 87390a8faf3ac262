/**
 * A fine-tuned model's task metrics on a labelled file as text (`mlm eval --data`, MLM: Evaluate Run…): the flat
 * metrics, the per-class (per-label, per-type) table and, for classification, the confusion matrix.
 */
import { formatMetrics } from './evaluate';
import type { FileEvaluation } from './infer';

const f3 = (x: number) => x.toFixed(3);

/** Per-label precision / recall / F1 of a task evaluation: classes, labels or entity types (none for regression). */
export function perLabelScores(e: FileEvaluation) {
  const d = e.detail;
  return d.task === 'classification'
    ? d.metrics.perClass
    : d.task === 'multilabel'
      ? d.metrics.perLabel
      : d.task === 'token'
        ? d.metrics.perType
        : [];
}

/** The per-class table and, for classification, the confusion matrix. */
export function formatTaskEvaluation(e: FileEvaluation): string {
  const out = [
    `examples:  ${e.examples}${e.bad.length ? ` (${e.bad.length} rows skipped)` : ''}${e.truncated ? `, ${e.truncated} truncated` : ''}`,
  ];
  out.push(`metrics:   ${formatMetrics(e.metrics)}`);
  const d = e.detail;
  const per = perLabelScores(e);
  if (per.length) {
    const w = Math.max(8, ...per.map((p) => p.label.length));
    out.push('', `${'label'.padEnd(w)}  precision  recall     f1  support`);
    for (const p of per)
      out.push(
        `${p.label.padEnd(w)}  ${f3(p.precision).padStart(9)}  ${f3(p.recall).padStart(6)}  ${f3(p.f1).padStart(5)}  ${String(p.support).padStart(7)}`,
      );
  }
  if (d.task === 'classification') {
    const labels = e.labels;
    const w = Math.max(
      6,
      ...labels.map((l) => l.length),
      ...d.metrics.confusion.flat().map((n) => String(n).length),
    );
    out.push('', 'confusion matrix (rows: true label, columns: predicted)');
    out.push(`${''.padEnd(w)}  ${labels.map((l) => l.padStart(w)).join('  ')}`);
    d.metrics.confusion.forEach((row, i) =>
      out.push(`${labels[i].padEnd(w)}  ${row.map((n) => String(n).padStart(w)).join('  ')}`),
    );
  }
  for (const b of e.bad.slice(0, 5)) out.push(`skipped ${b.where}: ${b.reason}`);
  if (e.bad.length > 5) out.push(`… and ${e.bad.length - 5} more skipped rows`);
  return out.join('\n');
}
