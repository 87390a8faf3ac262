/**
 * Terminal reporting of a fine-tune run for `mlm finetune` and `mlm demo`: a progress bar with step, loss, accuracy,
 * ETA and the last evaluation, log lines, and the closing summary (best metrics beside the majority baseline).
 */
import path from 'node:path';
import { parseDuration } from '../../../protocol/runConfig';
import { formatMetrics, type FinetuneConfig, type FinetuneSummary } from '../../ml/finetune';
import type { MetricRecord, TrainCallbacks } from '../../ml/types';
import { ProgressBar } from '../progress';
import { formatDuration, pct, stopReasonText } from './trainReport';

/** Progress bar and log lines on stderr for a fine-tune run. */
export function finetuneCallbacks(config: FinetuneConfig, opts: { quiet?: boolean } = {}): TrainCallbacks {
  const err = process.stderr;
  let bar: ProgressBar | undefined;
  let start: number | undefined;
  let first: { f: number; t: number } | undefined;
  let lastEval = '';
  const t = config.training;
  const budget = t.timeBudget !== null ? parseDuration(t.timeBudget) : undefined;
  const line = (s: string) => {
    if (opts.quiet) return;
    if (err.isTTY && bar) err.write('\r\x1b[K');
    err.write(`${s}\n`);
  };
  return {
    onPhase(phase) {
      if (phase === 'training' && start === undefined) {
        start = Date.now();
        if (!opts.quiet) bar = new ProgressBar('fine-tune', err);
      } else if (phase === 'done') {
        bar?.done();
        bar = undefined;
      }
    },
    onLog(level, message) {
      if (level === 'info') line(`  ${message}`);
      else line(`${level === 'warn' ? 'warning' : 'error'}: ${message}`);
    },
    onMetrics(m: MetricRecord) {
      const r = m as unknown as Record<string, number>;
      if (m.split === 'eval') {
        const keys = ['accuracy', 'macroF1', 'microF1', 'mse', 'pearson', 'f1'].filter(
          (k) => r[k] !== undefined,
        );
        lastEval = keys.map((k) => `${k} ${k === 'accuracy' ? pct(r[k]) : r[k].toFixed(3)}`).join(' ');
        line(
          `  eval @ step ${m.step} (epoch ${m.epoch.toFixed(2)}): loss ${m.loss.toFixed(4)}, ${formatMetrics(Object.fromEntries(keys.map((k) => [k, r[k]])))}`,
        );
        return;
      }
      const parts: number[] = [];
      if (t.maxSteps !== null) parts.push(m.step / t.maxSteps);
      if (t.epochs !== null) parts.push(m.epoch / t.epochs);
      if (budget !== undefined && start !== undefined) parts.push((Date.now() - start) / budget);
      const f = parts.length ? Math.min(1, Math.max(...parts)) : undefined;
      let eta = '';
      if (f !== undefined) {
        const now = Date.now();
        first ??= { f, t: now };
        const rate = (f - first.f) / Math.max(1, now - first.t);
        if (rate > 0) eta = ` ETA ${formatDuration((1 - f) / rate)}`;
      }
      const acc = m.accuracy !== undefined ? ` acc ${pct(m.accuracy)}` : '';
      bar?.update(
        f,
        `step ${m.step} loss ${m.loss.toFixed(3)}${acc}${eta}${lastEval ? ` | eval ${lastEval}` : ''}`,
      );
    },
  };
}

/** The closing summary (stdout): best held-out metrics beside the majority baseline, and how to use the model. */
export function printFinetuneSummary(s: FinetuneSummary, cwd = process.cwd()): void {
  const rel = path.relative(cwd, s.runDir);
  const shown = rel && !rel.startsWith('..') ? rel : s.runDir;
  const out: string[] = [''];
  if (s.stoppedBy === 'error') {
    out.push(`Fine-tuning failed: ${s.error ?? 'unknown error'}`, `Run folder: ${shown}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return;
  }

  out.push(
    `Fine-tune ${path.basename(s.runDir)} (${s.task?.task}): ${s.steps} steps, ${s.epochs.toFixed(2)} epochs — ${stopReasonText(s.stoppedBy, s.metric)}.`,
  );
  out.push(`  folder:     ${shown}`);
  if (s.best) out.push(`  best:       ${formatMetrics(s.best)} (step ${s.bestStep}, by ${s.metric})`);
  if (s.baseline) out.push(`  baseline:   ${formatMetrics(s.baseline.metrics)} (${s.baseline.prediction})`);
  if (s.lastCheckpoint) {
    out.push('', 'Use it:');
    out.push(`  mlm predict --run ${shown} "some text"`);
    out.push(`  mlm eval --run ${shown} --data FILE`);
    out.push(
      `  mlm export --run ${shown} --out HF_DIR        (transformers: AutoModelFor${s.task?.task === 'token' ? 'Token' : 'Sequence'}Classification)`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
