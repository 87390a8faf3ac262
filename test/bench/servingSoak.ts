/**
 * The serving soak (reliability row 14): a real training run (the product's runTraining, on this thread) publishes a
 * checkpoint every `checkpoint.every` steps; a real inference worker (InferenceHost, a worker thread running the
 * product's inference role) loads each one as it appears and answers hovers throughout, paced to the training (hover k
 * waits for step k · steps / hovers), so one run gives exactly `steps` steps and `hovers` fills. Every `sampleEvery`
 * steps it samples, after a full GC, the process RSS (both threads' heaps, the two wasm memories), the JS heap, the trainer's live
 * tensors; after every reload the worker's live tensors. One core, two users: the CI-sized test
 * (test/unit/server/ml/train/soak.test.ts, a few thousand tiny steps, asserting) and `npm run bench -- soak` (the
 * long version, reporting; test/bench/memorySoak.ts).
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { ResolvedRunConfig } from '../../protocol/runConfig';
import { runTraining } from '../../server/ml/train/run';
import type { RunSummary } from '../../server/ml/train/summary';
import { InferenceHost } from '../../server/worker/inferenceHost';
import type { WorkerData } from '../../server/worker/messages';
import { startWorker } from '../../server/worker/workerScript';
import { syntheticWorkspace } from '../unit/server/ml/train/trainFixtures';

export interface SoakSample {
  step: number;
  rssMB: number;
  heapMB: number;
  /** Live tensors of the training thread (this one). */
  trainerTensors: number;
  /** Fills answered so far. */
  hovers: number;
  /** Mean training loss since the previous sample. */
  loss: number;
}

export interface ServingSoakResult {
  summary: RunSummary;
  seconds: number;
  samples: SoakSample[];
  /** The worker's live tensors after each reload (and once at the end). */
  workerTensors: number[];
  reloads: number;
  /** Fills answered with predictions / answered Busy (the deadline passed while a checkpoint loaded). */
  hovers: { answered: number; busy: number };
}

/**
 * A full garbage collection before each sample, so the heap and RSS it reads are what is retained, not garbage V8 has
 * not collected yet (the flag set at run time; a fresh context then exposes gc()).
 */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Sentences of the synthetic corpus's words, one mask each. */
const HOVER_TEXTS = [
  'the cat eats [MASK] in the house .',
  'the [MASK] eats fish in the garden .',
  'the dog eats bread in the [MASK] .',
];

/** Trains `config` (its maxSteps) on a synthetic corpus while an inference worker reloads and answers `hovers` fills. */
export async function servingSoak(
  config: ResolvedRunConfig,
  opts: { hovers: number; sampleEvery: number; onSample?: (s: SoakSample) => void },
): Promise<ServingSoakResult> {
  const steps = config.training.maxSteps;
  if (!steps) throw new Error('the soak needs training.maxSteps');
  const ws = syntheticWorkspace();
  const gc = collector();
  const host = new InferenceHost(
    () => ({ backend: 'wasm', threads: 1 }),
    { backend: () => undefined, log: () => undefined },
    (workerData: WorkerData) => startWorker('mlm-worker', { workerData }),
  );
  const samples: SoakSample[] = [];
  const workerTensors: number[] = [];
  const hovers = { answered: 0, busy: 0 };
  let trained = 0;
  let finished = false;
  let lossSum = 0;
  let lossRows = 0;
  // Wakes the hover loop when a step is done, a model is loaded, or training ends.
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    wake?.();
    wake = undefined;
  };
  const waitForNews = (): Promise<void> => new Promise((r) => (wake = r));

  // Reloads as in the server: the newest published checkpoint, one load at a time.
  let pending: string | undefined;
  let loading: Promise<void> | undefined;
  let reloads = 0;
  const drain = async (): Promise<void> => {
    while (pending) {
      const dir = pending;
      pending = undefined;
      await host.load(dir);
      reloads++;
      // One fill first (not counted as a hover): the count then includes what a model keeps after its first answer.
      await host.fill({ text: HOVER_TEXTS[0], topK: 5, maskToken: '[MASK]' }).catch(() => undefined);
      const m = await host.request({ type: 'memory' });
      if (m.type === 'memory') workerTensors.push(m.memory.numTensors);
      nudge();
    }
    loading = undefined;
  };

  const hoverLoop = async (): Promise<void> => {
    for (let k = 0; k < opts.hovers; k++) {
      while (!host.model || (!finished && trained * opts.hovers < k * steps)) {
        if (finished && !host.model && !loading)
          throw new Error('training ended without a checkpoint to serve');
        await waitForNews();
      }
      try {
        await host.fill({ text: HOVER_TEXTS[k % HOVER_TEXTS.length], topK: 5, maskToken: '[MASK]' });
        hovers.answered++;
      } catch (err) {
        if ((err as { code?: number }).code !== 1015) throw err; // MlmErrorCodes.Busy: counted
        hovers.busy++;
      }
    }
  };

  const t0 = performance.now();
  const serving = hoverLoop();
  serving.catch(() => undefined); // awaited below; a failure must not count as unhandled meanwhile
  let summary: RunSummary;
  try {
    summary = await runTraining(config, {
      cwd: ws,
      callbacks: {
        onCheckpoint: (c) => {
          pending = c.dir;
          loading ??= drain();
        },
        onMetrics: (m) => {
          if (m.split !== 'train') return;
          trained = m.step;
          lossSum += m.loss;
          lossRows++;
          if (m.step % opts.sampleEvery === 0) {
            gc();
            const mem = process.memoryUsage();
            const s: SoakSample = {
              step: m.step,
              rssMB: mem.rss / 2 ** 20,
              heapMB: mem.heapUsed / 2 ** 20,
              trainerTensors: m.numTensors ?? NaN,
              hovers: hovers.answered + hovers.busy,
              loss: lossSum / Math.max(1, lossRows),
            };
            lossSum = 0;
            lossRows = 0;
            samples.push(s);
            opts.onSample?.(s);
          }
          nudge();
        },
      },
    });
  } finally {
    finished = true;
    nudge();
  }
  try {
    await loading;
    await serving;
    const m = await host.request({ type: 'memory' });
    if (m.type === 'memory') workerTensors.push(m.memory.numTensors);
  } finally {
    await host.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
  return { summary, seconds: (performance.now() - t0) / 1000, samples, workerTensors, reloads, hovers };
}
