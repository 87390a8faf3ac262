/**
 * Hover round trip (docs/benchmarks.md goal: p95 ≤ 20 ms): the BUILT backend (dist/server.js) spawned like the
 * extension does, a W1-sized run (mini preset, seq 128) training on the bundled sample corpus, and
 * `textDocument/hover` on a [MASK] answered from the run's published checkpoint. Two texts: a ~30-word sentence with
 * one mask (the hover's own list) and a ~65-word paragraph with four (issue #17: the paragraph's joint completions
 * and the hovered mask's list). Each measured on the mask while the run trains, then again idle once the run is
 * stopped and its last checkpoint loaded. Each hover is awaited before the next, so a figure is one full JSON-RPC
 * round trip; each follows an edit (a new document version), so the model answers it; a second hover on the same
 * version measures the backend's per-version cache. `--baseline DIR/dist/server.js` measures another build first,
 * the same way, in the same invocation (before/after figures from one command).
 */
import fs from 'node:fs';
import os from 'node:os';
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
  /** Hovers per figure on the four-mask paragraph (each runs the joint decoder: a dozen forward passes). */
  paragraphCalls: number;
  /** Upper bound when waiting for training steps to happen during the window. */
  maxCalls: number;
  warmup: number;
  /** Another build's server.js, measured first in the same invocation. */
  baseline?: string;
}

export const HOVER_DEFAULTS: HoverOptions = { calls: 200, paragraphCalls: 60, maxCalls: 5000, warmup: 10 };

/** W1's model size; a small batch so that the first checkpoint is published soon. */
export const HOVER_RUN = {
  corpus: { include: ['en/**'] },
  model: { preset: 'mini' },
  tokenizer: { vocabSize: 8192 },
  data: { seqLen: 128 },
  training: { batchSize: 8, maxSteps: 100000, evalEvery: 1000000, logEvery: 1, warmupSteps: 0 },
  checkpoint: { every: 2, keepLast: 2 },
};

/** The hovered texts: ~30 words with one [MASK] (like W2's 32 tokens); a paragraph with four, hovered on its second. */
const TEXTS = [
  {
    name: '1 mask',
    hovered: 0,
    text:
      'The history of the town begins with a small market on the river, where farmers and traders met every ' +
      'week to [MASK] grain, wool and cattle before the long winter came.',
  },
  {
    name: '4-mask paragraph',
    hovered: 1,
    text:
      'The history of the town begins with a small [MASK] on the river, where farmers and traders met every ' +
      'week to [MASK] grain, wool and cattle before the long winter came. In spring the [MASK] filled the ' +
      'fields again, and the children of the valley walked to the old church on the hill to [MASK] the new ' +
      'year with songs and bread.',
  },
];

/**
 * The built backend (or `server`, another build) on a copy of the sample corpus, training HOVER_RUN, once the run has
 * published a model for hovers: the spawned server, its workspace and the run. The caller stops the server and
 * removes the workspace.
 */
export async function startTrainingBackend(
  server?: string,
): Promise<{ s: Spawned; ws: string; run: TrainRequest.Result }> {
  ensureBuilt();
  const ws = tempWorkspace('sample-corpus');
  const s = spawnServer(server ? { server } : {});
  await initialize(s, ws, {});
  const run = await s.conn.sendRequest<TrainRequest.Result>('mlm/train', { config: HOVER_RUN });
  await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.model?.runId === run.runId);
  return { s, ws, run };
}

/** Stops the run and waits until its last checkpoint is the loaded model (nothing reloads afterwards). */
export async function stopAndSettle(s: Spawned, run: TrainRequest.Result): Promise<void> {
  await s.conn.sendRequest('mlm/stop', {});
  const fin = await s.notes.next<{ runId: string; lastCheckpoint?: string }>(
    'mlm/runFinished',
    (p) => p.runId === run.runId,
  );
  if (fin.lastCheckpoint) {
    await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.model?.dir === fin.lastCheckpoint);
  }
}

interface Figure {
  samples: number[];
  cached: number[];
  steps: number;
}

/** `calls` hovers on one text's hovered mask, each after an edit; while training, on until 2 more steps passed. */
async function measure(
  s: Spawned,
  uri: string,
  t: (typeof TEXTS)[number],
  calls: number,
  opts: HoverOptions,
  /** While training: the newest step the run reported; undefined when idle. */
  stepNow?: () => number,
): Promise<Figure> {
  let version = 1;
  await s.conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'plaintext', version, text: t.text },
  });
  let at = -1;
  for (let i = 0; i <= t.hovered; i++) at = t.text.indexOf('[MASK]', at + 1);
  const position = { line: 0, character: at + 2 };
  const hover = async (): Promise<number> => {
    const t0 = performance.now();
    const h = await s.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', {
      textDocument: { uri },
      position,
    });
    const ms = performance.now() - t0;
    if (!h) throw new Error('the backend gave no hover on [MASK]: is a model published for the run?');
    if (t.hovered > 0 && !h.contents.value.includes('Best completions'))
      throw new Error(
        `no joint completions in the hover on the ${t.name}: ${h.contents.value.slice(0, 200)}`,
      );
    return ms;
  };
  // A new version before each measured hover makes the model answer it; a second hover on it is the cached answer.
  const edit = () =>
    s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: ++version },
      contentChanges: [{ text: t.text }],
    });
  for (let i = 0; i < opts.warmup; i++) {
    await edit();
    await hover();
  }
  const stepBefore = stepNow?.() ?? 0;
  const samples: number[] = [];
  const cached: number[] = [];
  const training = () => stepNow !== undefined && stepNow() < stepBefore + 2;
  while (samples.length < calls || (training() && samples.length < opts.maxCalls)) {
    await edit();
    samples.push(await hover());
    cached.push(await hover());
  }
  await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  return { samples, cached, steps: (stepNow?.() ?? 0) - stepBefore };
}

/** Both texts while the run trains, then both idle, on one build's backend. */
async function runOne(system: string, server: string | undefined, opts: HoverOptions, out: Reporter) {
  const { s, ws, run } = await startTrainingBackend(server);
  try {
    const steps = () =>
      Math.max(
        0,
        ...s.notes
          .of<MetricsNotification.Params>('mlm/metrics')
          .filter((p) => p.runId === run.runId)
          .flatMap((p) => p.records.filter((r) => r.split === 'train').map((r) => r.step)),
      );
    const report = (t: (typeof TEXTS)[number], phase: 'training' | 'idle', f: Figure) => {
      const [p50, p95] = [quantile(f.samples, 0.5), quantile(f.samples, 0.95)];
      const load = os.loadavg()[0];
      out.record({
        workload: 'hover',
        system,
        metric: 'hover_round_trip_p50',
        text: t.name,
        phase,
        value: p50,
        unit: 'ms',
        p95,
        cachedP50: quantile(f.cached, 0.5),
        cachedP95: quantile(f.cached, 0.95),
        calls: f.samples.length,
        trainingStepsDuring: f.steps,
        loadAverage: load,
        samples: f.samples,
      });
      out.row([
        'hover',
        `${system}: ${t.name}, ${phase === 'training' ? 'while the run trains' : 'idle'}: p50 / p95 ms (cached)`,
        `${fmt(p50)} / ${fmt(p95)} (${fmt(quantile(f.cached, 0.5))} / ${fmt(quantile(f.cached, 0.95))})`,
        '—',
        `goal p95 ≤ 20 ms; ${f.samples.length} hovers, ${f.steps} steps meanwhile, load ${load.toFixed(1)}`,
      ]);
    };
    const calls = (i: number) => (i === 0 ? opts.calls : opts.paragraphCalls);
    for (const [i, t] of TEXTS.entries()) {
      report(
        t,
        'training',
        await measure(s, `file://${path.join(ws, `t${i}.txt`)}`, t, calls(i), opts, steps),
      );
    }
    await stopAndSettle(s, run);
    for (const [i, t] of TEXTS.entries()) {
      report(t, 'idle', await measure(s, `file://${path.join(ws, `i${i}.txt`)}`, t, calls(i), opts));
    }
  } finally {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

export async function runHover(opts: HoverOptions, out: Reporter): Promise<void> {
  if (opts.baseline) {
    if (!fs.existsSync(opts.baseline)) throw new Error(`--baseline ${opts.baseline}: no such server.js`);
    await runOne('baseline', opts.baseline, opts, out);
  }
  await runOne('ours', undefined, opts, out);
}
