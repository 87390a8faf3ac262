/**
 * `npm run bench -- soak`: the long serving soak (reliability row 14; test/bench/servingSoak.ts) — a real run of
 * `--steps` steps (default 10,000) of `--preset` (default tiny) on batches of 8 × 128 tokens (W1's sequence length),
 * a checkpoint every 100 steps that the inference worker reloads, and `--hovers` fills (default: as many as steps)
 * answered throughout. Reports RSS and JS heap after a full GC, and both threads' live tensors, with the growth over
 * the run (least-squares slope after the first 10 %). The CI-sized version of the same soak is a unit test.
 */
import { parseRunConfig } from '../../protocol/runConfig';
import type { BertPresetName } from '../../server/ml/model';
import { fmt, type Reporter } from './report';
import { servingSoak, type SoakSample } from './servingSoak';

export interface SoakOptions {
  preset: BertPresetName;
  steps: number;
  hovers: number | undefined;
  batchSize: number;
  seqLen: number;
  checkpointEvery: number;
  sampleEvery: number;
}

export const SOAK_DEFAULTS: SoakOptions = {
  preset: 'tiny',
  steps: 10_000,
  hovers: undefined,
  batchSize: 8,
  seqLen: 128,
  checkpointEvery: 100,
  sampleEvery: 100,
};

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}

export async function runSoak(opts: SoakOptions, out: Reporter): Promise<void> {
  const hovers = opts.hovers ?? opts.steps;
  const parsed = parseRunConfig({
    model: { preset: opts.preset, dropout: 0.1 },
    tokenizer: { vocabSize: 512, minFrequency: 1 },
    data: { seqLen: opts.seqLen },
    training: {
      batchSize: opts.batchSize,
      maxSteps: opts.steps,
      lr: 1e-3,
      warmupSteps: 100,
      evalEvery: 1000,
      evalBatches: 2,
      logEvery: 10,
      dataParallel: 1,
    },
    checkpoint: { every: opts.checkpointEvery, keepLast: 2 },
    backend: 'wasm',
    threads: 1,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const r = await servingSoak(parsed.config, {
    hovers,
    sampleEvery: opts.sampleEvery,
    onSample: (s) => out.info('soak-sample', { ...s }),
  });
  const { samples } = r;
  if (samples.length < 3) throw new Error(`soak: use --steps ≥ ${3 * opts.sampleEvery} for three samples`);
  // Growth after the first 10 % (allocator and JIT warm-up happen before it).
  const later = samples.slice(Math.max(1, Math.floor(samples.length / 10)));
  const perK = (k: keyof SoakSample) =>
    1000 *
    slope(
      later.map((s) => s.step),
      later.map((s) => s[k]),
    );
  const first = samples[0];
  const from = later[0];
  const last = samples[samples.length - 1];
  const maxRss = Math.max(...samples.map((s) => s.rssMB));
  const trainerTensors = new Set(samples.map((s) => s.trainerTensors));
  const workerTensors = new Set(r.workerTensors);
  out.record({
    workload: 'soak',
    system: 'ours',
    metric: 'rss_growth_mb_per_1000_steps',
    value: perK('rssMB'),
    unit: 'MB/1000 steps',
    preset: opts.preset,
    steps: r.summary.steps,
    stoppedBy: r.summary.stoppedBy,
    hovers: r.hovers,
    reloads: r.reloads,
    batchSize: opts.batchSize,
    seqLen: opts.seqLen,
    seconds: r.seconds,
    rssFirstMB: first.rssMB,
    rssFromMB: from.rssMB,
    rssLastMB: last.rssMB,
    rssMaxMB: maxRss,
    heapGrowthMBPer1000: perK('heapMB'),
    trainerTensors: [...trainerTensors],
    workerTensors: [...workerTensors],
    samples: samples.map((s) => s.rssMB),
  });
  const run = `${r.summary.steps} steps ${opts.preset} b${opts.batchSize}×${opts.seqLen}, ${r.hovers.answered} hovers (+${r.hovers.busy} busy), ${r.reloads} reloads`;
  out.row([
    'soak',
    `${run}: RSS MB first → step ${from.step} → last (max)`,
    `${fmt(first.rssMB)} → ${fmt(from.rssMB)} → ${fmt(last.rssMB)} (${fmt(maxRss)})`,
    '—',
    `${fmt(perK('rssMB'))} MB / 1000 steps`,
  ]);
  out.row([
    'soak',
    'live tensors: trainer / inference worker (distinct values over the run)',
    `${[...trainerTensors].join(', ')} / ${[...workerTensors].join(', ')}`,
    '—',
    `heap ${fmt(from.heapMB)} → ${fmt(last.heapMB)} MB; loss ${fmt(first.loss)} → ${fmt(last.loss)}; ${fmt(r.seconds)} s`,
  ]);
}
