/**
 * When a training run's checkpoints reach the fill-mask model (FillMaskModel.request 'published'): at most every
 * RELOAD_INTERVAL_MS, and while fills keep coming, when they pause for FILL_QUIET_MS — but never later than
 * RELOAD_DEFER_MAX_MS after the previous load. An explicit load does not wait. Clock and timers are mocked.
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import {
  FILL_QUIET_MS,
  FillMaskModel,
  RELOAD_DEFER_MAX_MS,
  RELOAD_INTERVAL_MS,
} from '../../../../server/app/fillMaskModel';
import type { InferenceHost } from '../../../../server/worker/inferenceHost';

const MODEL = {
  dir: '/runs/r/checkpoints/step-1',
  runId: 'r',
  step: 1,
  arch: 'bert' as const,
  vocabSize: 10,
};

/** The host's side FillMaskModel uses: loads are recorded and answered at once, fills answered at once. */
function setup(): { model: FillMaskModel; loads: string[] } {
  const loads: string[] = [];
  const host = {
    model: MODEL,
    generation: 1,
    load: (dir: string) => {
      loads.push(dir);
      return Promise.resolve({ ...MODEL, dir });
    },
    fill: () => Promise.resolve({ masks: [], model: MODEL, elapsedMs: 1, generation: 1 }),
  } as unknown as InferenceHost;
  const model = new FillMaskModel(host, {
    status: () => undefined,
    log: () => undefined,
    root: () => '/',
    maskToken: () => '[MASK]',
  });
  return { model, loads };
}

/** Lets the promise chains run (several turns: a load resolves, then drain goes on). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Moves the mocked clock by ms in steps of `step`, settling after each. */
async function advance(ms: number, step = 100, each?: () => Promise<unknown>): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    mock.timers.tick(step);
    await settle();
    if (each) await each();
  }
}

void describe('reloads of a run checkpoints while fills come', () => {
  void test('a checkpoint waits for a pause in the fills, at most RELOAD_DEFER_MAX_MS after the last load', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    try {
      const { model, loads } = setup();
      model.request('/c1', 'published');
      await settle();
      assert.deepEqual(loads, ['/c1'], 'the first checkpoint loads at once');
      let n = 0;
      const hover = () => model.fill({ text: `a [MASK] ${n++}`, topK: 1 }, () => false);
      await hover();
      model.request('/c2', 'published');
      // A fill every 200 ms (shorter than FILL_QUIET_MS): the load waits until RELOAD_DEFER_MAX_MS has passed.
      await advance(RELOAD_DEFER_MAX_MS - 200, 200, hover);
      assert.deepEqual(loads, ['/c1'], 'no reload while fills keep coming');
      await advance(400, 200, hover);
      assert.deepEqual(loads, ['/c1', '/c2'], 'the deferral is bounded');
      // Fills stop: the next checkpoint loads FILL_QUIET_MS after the last fill (RELOAD_INTERVAL_MS being past).
      await advance(RELOAD_INTERVAL_MS, 200, hover);
      model.request('/c3', 'published');
      await advance(FILL_QUIET_MS - 200);
      assert.equal(loads.length, 2, 'not before the fills paused');
      await advance(400);
      assert.deepEqual(loads, ['/c1', '/c2', '/c3']);
      // An explicit load does not wait for the fills to pause.
      await hover();
      const explicit = model.load('/mine', 'loaded');
      await settle();
      await explicit;
      assert.equal(loads.at(-1), '/mine');
    } finally {
      mock.timers.reset();
    }
  });
});
