/** `mlm eval --run FT_DIR --data FILE`: a fine-tuned model's task metrics on a labelled file. */
import { initBackend, type BackendChoice } from '../../ml/backend';
import {
  evaluateFile,
  formatMetrics,
  loadTaskModel,
  type FileEvaluation,
  type LoadedTaskModel,
} from '../../ml/finetune';
import { CliError } from '../command';

const f3 = (x: number) => x.toFixed(3);

/** The per-class table and, for classification, the confusion matrix. */
export function formatTaskEvaluation(e: FileEvaluation): string {
  const out = [
    `examples:  ${e.examples}${e.bad.length ? ` (${e.bad.length} rows skipped)` : ''}${e.truncated ? `, ${e.truncated} truncated` : ''}`,
  ];
  out.push(`metrics:   ${formatMetrics(e.metrics)}`);
  const d = e.detail;
  const per =
    d.task === 'classification'
      ? d.metrics.perClass
      : d.task === 'multilabel'
        ? d.metrics.perLabel
        : d.task === 'token'
          ? d.metrics.perType
          : [];
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

export async function evalTaskModel(
  run: string,
  data: string,
  opts: { json?: boolean; batchSize?: string; backend?: string },
): Promise<number> {
  const batchSize = opts.batchSize !== undefined ? Number(opts.batchSize) : 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new CliError(`--batch-size must be a positive integer, got "${opts.batchSize}"`, 2);
  }
  let loaded: LoadedTaskModel;
  try {
    await initBackend({ backend: (opts.backend ?? 'auto') as BackendChoice });
    loaded = await loadTaskModel(run);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    let e: FileEvaluation;
    try {
      e = await evaluateFile(loaded, data, batchSize);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (opts.json) {
      const { detail, bad, ...rest } = e;
      process.stdout.write(
        `${JSON.stringify({ run: loaded.runDir ?? run, checkpoint: loaded.weightsDir, ...rest, ...e.metrics, detail: detail.metrics, skipped: bad })}\n`,
      );
    } else {
      process.stdout.write(
        `model:     ${loaded.weightsDir} (${loaded.head.task})\ndata:      ${data}\n${formatTaskEvaluation(e)}\n`,
      );
    }
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
