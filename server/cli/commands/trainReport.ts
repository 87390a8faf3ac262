/**
 * Terminal reporting of a training run for `mlm train` and `mlm demo`: a progress bar with step, loss,
 * accuracy, tokens/s and ETA, log lines, and the closing summary (where the run is, best eval, how to use it).
 */
import path from 'node:path';
import { parseDuration, type ResolvedRunConfig } from '../../../protocol/runConfig';
import type { RunSummary } from '../../ml/train/run';
import type { MetricRecord, TrainCallbacks } from '../../ml/types';
import { ProgressBar } from '../progress';

export const pct = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)}%`;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Fraction done according to whichever stop the config sets (best effort for the bar and ETA). */
function fractionDone(
  config: ResolvedRunConfig,
  m: MetricRecord,
  trainStartMs: number | undefined,
): number | undefined {
  const t = config.training;
  const parts: number[] = [];
  if (t.maxSteps !== null) parts.push(m.step / t.maxSteps);
  if (t.epochs !== null) parts.push(m.epoch / t.epochs);
  const budget = t.timeBudget !== null ? parseDuration(t.timeBudget) : undefined;
  if (budget !== undefined && trainStartMs !== undefined) parts.push((Date.now() - trainStartMs) / budget);
  if (!parts.length) parts.push(m.epoch / 3);
  return Math.min(1, Math.max(...parts));
}

export function cliCallbacks(config: ResolvedRunConfig, opts: { quiet?: boolean } = {}): TrainCallbacks {
  const err = process.stderr;
  let bar: ProgressBar | undefined;
  let prepBar: ProgressBar | undefined;
  let trainStart: number | undefined;
  let firstFraction: { f: number; t: number } | undefined;
  let lastEval: MetricRecord | undefined;
  const endPrep = () => {
    prepBar?.done();
    prepBar = undefined;
  };
  const line = (s: string) => {
    if (opts.quiet) return;
    if (err.isTTY && (bar || prepBar)) err.write('\r\x1b[K');
    err.write(`${s}\n`);
  };
  return {
    onPhase(phase) {
      if (phase === 'training' && trainStart === undefined) {
        endPrep();
        trainStart = Date.now();
        bar = new ProgressBar('train', err);
      } else if (phase === 'done') {
        endPrep();
        bar?.done();
        bar = undefined;
      } else if (
        phase === 'reading-corpus' ||
        phase === 'training-tokenizer' ||
        phase === 'building-examples'
      ) {
        endPrep();
        if (!opts.quiet) prepBar = new ProgressBar(phase.replace('-', ' '), err);
      }
    },
    onProgress(p) {
      prepBar?.update(p.fraction, p.message);
    },
    onLog(level, message) {
      if (level === 'info') line(`  ${message}`);
      else line(`${level === 'warn' ? 'warning' : 'error'}: ${message}`);
    },
    onMetrics(m) {
      if (m.split === 'eval') {
        lastEval = m;
        line(
          `  eval @ step ${m.step}: loss ${m.loss.toFixed(4)}, masked-token accuracy ${pct(m.accuracy)}, perplexity ${m.perplexity?.toFixed(1)}`,
        );
        return;
      }
      const f = fractionDone(config, m, trainStart);
      let eta = '';
      if (f !== undefined) {
        const now = Date.now();
        firstFraction ??= { f, t: now };
        const rate = (f - firstFraction.f) / Math.max(1, now - firstFraction.t);
        if (rate > 0) eta = ` ETA ${formatDuration((1 - f) / rate)}`;
      }
      const tps = m.tokensPerSec ? ` ${Math.round(m.tokensPerSec).toLocaleString('en-US')} tok/s` : '';
      const ev = lastEval ? ` | eval acc ${pct(lastEval.accuracy)}` : '';
      bar?.update(f, `step ${m.step} loss ${m.loss.toFixed(3)} acc ${pct(m.accuracy)}${tps}${eta}${ev}`);
    },
  };
}

/** Why a run ended, in words; `selection` is what early stopping watched. */
export function stopReasonText(reason: string, selection = 'eval loss'): string {
  const why: Record<string, string> = {
    'max-steps': 'reached the maximum steps',
    epochs: 'finished the epochs',
    'time-budget': 'used the time budget',
    'early-stopping': `stopped early (${selection} stopped improving)`,
    stopped: 'stopped on request',
  };
  return why[reason] ?? reason;
}

/** The closing summary on stdout. */
export function printSummary(s: RunSummary, cwd = process.cwd()): void {
  const rel = s.runDir ? path.relative(cwd, s.runDir) || '.' : '';
  const shown = rel && !rel.startsWith('..') ? rel : s.runDir;
  const out: string[] = [''];
  if (s.stoppedBy === 'error') {
    out.push(`Training failed: ${s.error ?? 'unknown error'}`);
    if (s.runDir) out.push(`Run folder: ${shown}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return;
  }
  out.push(
    `Run ${s.runId}: ${s.steps} steps, ${s.epochs.toFixed(2)} epochs — ${stopReasonText(s.stoppedBy)}.`,
  );
  out.push(`  folder:        ${shown}`);
  if (s.bestEval) {
    out.push(
      `  best eval:     loss ${s.bestEval.loss.toFixed(4)}, masked-token accuracy ${pct(s.bestEval.accuracy)}, perplexity ${s.bestEval.perplexity?.toFixed(1)} (step ${s.bestEval.step})`,
    );
  }
  if (s.baselineAccuracy !== undefined) {
    out.push(
      `  baseline:      ${pct(s.baselineAccuracy)} masked-token accuracy by always predicting the most frequent token`,
    );
  }
  if (s.lastTrain)
    out.push(`  last train:    loss ${s.lastTrain.loss.toFixed(4)}, accuracy ${pct(s.lastTrain.accuracy)}`);
  const r = s.maskingRates;
  out.push(
    `  masking:       ${pct(r.targetRate)} of tokens were targets; of those ${pct(r.maskRate)} [MASK], ${pct(r.randomRate)} random, ${pct(r.keepRate)} kept`,
  );
  if (s.lastCheckpoint) {
    out.push(
      `  checkpoint:    ${path.relative(s.runDir, s.bestCheckpoint ?? s.lastCheckpoint)}${s.bestCheckpoint ? ' (best)' : ''}`,
    );
    out.push('');
    out.push('Use it:');
    out.push(`  mlm fill --run ${shown} "The [MASK] sat on the mat."`);
    out.push(`  mlm eval --run ${shown} --corpus <dir>`);
    out.push(`  mlm train --resume ${shown} --max-steps <more>   (continue training)`);
  } else {
    out.push('  no checkpoint was saved (no step finished)');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
