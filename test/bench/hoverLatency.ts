/**
 * Hover round trip while a run trains (docs/benchmarks.md goal: p95 ≤ 20 ms): the BUILT backend
 * (dist/server.js) spawned like the extension does, a W1-sized run (mini preset, seq 128) training on the
 * bundled sample corpus, and `textDocument/hover` on a [MASK] answered from the run's published checkpoint.
 * Each hover is awaited before the next, so a figure is one full JSON-RPC round trip. Each measured hover
 * follows an edit (a new document version), so the model answers it; a second hover on the same version
 * measures the backend's per-version cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServerStatus } from '../../protocol/status';
import type { MetricsNotification, TrainRequest } from '../../protocol/training';
import {
  ensureBuilt,
  initialize,
  spawnServer,
  stopServer,
  tempWorkspace,
  type Spawned,
} from '../protocol/harness';
import { fmt, type Reporter } from './report';
import { quantile } from './stats';

export interface HoverOptions {
  calls: number;
  /** Upper bound when waiting for training steps to happen during the window. */
  maxCalls: number;
  warmup: number;
}

export const HOVER_DEFAULTS: HoverOptions = { calls: 200, maxCalls: 5000, warmup: 20 };

/** W1's model size; a small batch so that the first checkpoint is published soon. */
export const HOVER_RUN = {
  corpus: { include: ['en/**'] },
  model: { preset: 'mini' },
  tokenizer: { vocabSize: 8192 },
  data: { seqLen: 128 },
  training: { batchSize: 8, maxSteps: 100000, evalEvery: 1000000, logEvery: 1, warmupSteps: 0 },
  checkpoint: { every: 2, keepLast: 2 },
};

/** ~30 words with one [MASK] in the middle (like W2's 32 tokens). */
const TEXT =
  'The history of the town begins with a small market on the river, where farmers and traders met every ' +
  'week to [MASK] grain, wool and cattle before the long winter came.';

/**
 * The built backend on a copy of the sample corpus, training HOVER_RUN, once the run has published a model for
 * hovers: the spawned server, its workspace and the run. The caller stops the server and removes the workspace.
 */
export async function startTrainingBackend(): Promise<{ s: Spawned; ws: string; run: TrainRequest.Result }> {
  ensureBuilt();
  const ws = tempWorkspace('sample-corpus');
  const s = spawnServer();
  await initialize(s, ws, {});
  const run = await s.conn.sendRequest<TrainRequest.Result>('mlm/train', { config: HOVER_RUN });
  await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.model?.runId === run.runId);
  return { s, ws, run };
}

export async function runHover(opts: HoverOptions, out: Reporter): Promise<void> {
  const { s, ws, run } = await startTrainingBackend();
  try {
    const uri = `file://${path.join(ws, 'hover.txt')}`;
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'plaintext', version: 1, text: TEXT },
    });
    const position = { line: 0, character: TEXT.indexOf('[MASK]') + 2 };
    /** The newest training step the backend has reported for the run. */
    const stepNow = () =>
      Math.max(
        0,
        ...s.notes
          .of<MetricsNotification.Params>('mlm/metrics')
          .filter((p) => p.runId === run.runId)
          .flatMap((p) => p.records.filter((r) => r.split === 'train').map((r) => r.step)),
      );
    const hover = async (): Promise<number> => {
      const t0 = performance.now();
      const h = await s.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', {
        textDocument: { uri },
        position,
      });
      const ms = performance.now() - t0;
      if (!h) throw new Error('the backend gave no hover on [MASK]: is a model published for the run?');
      return ms;
    };
    // The backend caches answers per document version: a new version before each measured hover makes the
    // model answer it; a second hover on the same version measures the cached answer.
    let version = 1;
    const edit = () =>
      s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: ++version },
        contentChanges: [{ text: TEXT }],
      });
    for (let i = 0; i < opts.warmup; i++) {
      await edit();
      await hover();
    }
    const stepBefore = stepNow();
    const samples: number[] = [];
    const cached: number[] = [];
    // At least `calls` hovers, and on until the trainer has reported 2 more steps: the window overlaps training.
    while (samples.length < opts.calls || (stepNow() < stepBefore + 2 && samples.length < opts.maxCalls)) {
      await edit();
      samples.push(await hover());
      cached.push(await hover());
    }
    const stepsDuring = stepNow() - stepBefore;
    const p50 = quantile(samples, 0.5);
    const p95 = quantile(samples, 0.95);
    out.record({
      workload: 'hover',
      system: 'ours',
      metric: 'hover_round_trip_p50',
      value: p50,
      unit: 'ms',
      p95,
      samples,
      calls: samples.length,
      trainingStepsDuring: stepsDuring,
      run: HOVER_RUN,
    });
    out.record({
      workload: 'hover',
      system: 'ours',
      metric: 'hover_cached_round_trip_p50',
      value: quantile(cached, 0.5),
      unit: 'ms',
      p95: quantile(cached, 0.95),
      calls: cached.length,
    });
    out.row([
      'hover',
      'cached (same document version) p50 / p95 ms',
      `${fmt(quantile(cached, 0.5))} / ${fmt(quantile(cached, 0.95))}`,
      '—',
      'answered without the model',
    ]);
    out.row([
      'hover',
      'round trip p50 / p95 ms while training (new version each)',
      `${fmt(p50)} / ${fmt(p95)}`,
      '—',
      `goal p95 ≤ 20 ms; ${samples.length} hovers, ${stepsDuring} training steps meanwhile`,
    ]);
    await s.conn.sendRequest('mlm/stop', {}).catch(() => undefined);
  } finally {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}
