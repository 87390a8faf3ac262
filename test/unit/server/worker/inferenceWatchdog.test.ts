/**
 * reliability: 4 hung handler — the inference queue's deadlines. A fill not answered within its deadline fails with
 * MlmErrorCodes.Busy naming what holds the worker up; a worker silent past the watchdog is terminated, what it held
 * and what waited behind it fails with InferenceRestarted naming the stuck request, and a fresh worker gets the last
 * model. First against a fake worker under mocked timers (which message is answered when is the test's choice),
 * then against a real worker thread spinning in the product's inference role (MLM_TEST_HANG_FILL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { MlmError, MlmErrorCodes } from '../../../../protocol/errors';
import {
  InferenceHost,
  LOAD_WATCHDOG_FACTOR,
  type InferenceLimits,
} from '../../../../server/worker/inferenceHost';
import { FakeInferenceWorker, hostWithFaultyFirstWorker, settle, tinyTrainedRun } from './inferenceWorkers';

const LIMITS: InferenceLimits = { fillDeadlineMs: 1000, watchdogMs: 10_000 };
const MODEL = { dir: '/runs/r/checkpoints/step-1', runId: 'r', step: 1 };

function setup(t: TestContext): { host: InferenceHost; workers: FakeInferenceWorker[]; logs: string[] } {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const workers: FakeInferenceWorker[] = [];
  const logs: string[] = [];
  const host = new InferenceHost(
    () => ({ backend: 'cpu' }),
    { backend: () => undefined, log: (_l, m) => logs.push(m) },
    () => {
      const w = new FakeInferenceWorker();
      workers.push(w);
      return w;
    },
    () => LIMITS,
  );
  return { host, workers, logs };
}

const fill = (host: InferenceHost, text = 'a [MASK]') =>
  host.fill({ text, topK: 3, maskToken: '[MASK]' }).then(
    (r) => r,
    (e: Error) => e,
  );

async function loaded(t: TestContext): Promise<ReturnType<typeof setup>> {
  const s = setup(t);
  const load = s.host.load(MODEL.dir);
  s.workers[0].answer(0, { type: 'load', model: MODEL });
  await load;
  return s;
}

function assertCode(e: unknown, code: number, re: RegExp): void {
  assert.ok(e instanceof MlmError, `expected an MlmError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.match(e.message, re);
}

void describe('reliability: 4 hung handler — inference deadlines (fake worker, mocked timers)', () => {
  void test('reliability: 4 hung handler: a fill queued behind a load that does not finish answers Busy naming the load, and never reaches the worker', async (t) => {
    const { host, workers } = await loaded(t);
    void host.load('/runs/r/checkpoints/step-2').catch(() => undefined);
    const busy = fill(host);
    t.mock.timers.tick(LIMITS.fillDeadlineMs - 1);
    await settle();
    assert.equal(workers[0].sent.length, 2, 'the load is in flight, the fill waits');
    t.mock.timers.tick(1);
    assertCode(
      await busy,
      MlmErrorCodes.Busy,
      /model is busy \(the inference worker is loading \/runs\/r\/checkpoints\/step-2\) and did not answer within 1 s/,
    );
    workers[0].answer(1, { type: 'load', model: { ...MODEL, step: 2 } });
    await settle();
    assert.equal(workers[0].sent.length, 2, 'the fill that timed out left the queue');
    await host.dispose();
  });

  void test('reliability: 4 hung handler: a fill the worker runs past its deadline answers Busy; its late answer goes to nobody', async (t) => {
    const { host, workers } = await loaded(t);
    const busy = fill(host);
    const next = fill(host, 'b [MASK]');
    t.mock.timers.tick(LIMITS.fillDeadlineMs);
    assertCode(
      await busy,
      MlmErrorCodes.Busy,
      /answering a fill-mask; 1 more request waits\) and did not answer within 1 s/,
    );
    assertCode(await next, MlmErrorCodes.Busy, /answering a fill-mask/);
    const answer = { masks: [], model: MODEL, elapsedMs: 1 };
    workers[0].answer(1, { type: 'fillBatch', results: [{ ok: true, result: answer }] });
    await settle();
    assert.equal(workers[0].sent.length, 2, 'nothing queued: the second fill left the queue at its deadline');
    const r = fill(host);
    await settle();
    workers[0].answer(2, { type: 'fillBatch', results: [{ ok: true, result: answer }] });
    assert.deepEqual(await r, { type: 'fill', ...answer, generation: 1 });
    await host.dispose();
  });

  void test('reliability: 4 hung handler: watchdog terminates a silent worker, fails what it held and what waited naming the cause, and a fresh worker reloads the model', async (t) => {
    const { host, workers, logs } = await loaded(t);
    const stuck = host.predict([{ text: 'x' }]).catch((e: Error) => e);
    const queued = host.request({ type: 'memory' }).catch((e: Error) => e);
    t.mock.timers.tick(LIMITS.watchdogMs - 1);
    await settle();
    assert.equal(workers[0].terminated, false);
    t.mock.timers.tick(1);
    assert.equal(workers[0].terminated, true);
    const cause = /inference worker was stuck predicting 1 input for 10 s and was restarted/;
    assertCode(await stuck, MlmErrorCodes.InferenceRestarted, cause);
    assertCode(await queued, MlmErrorCodes.InferenceRestarted, cause);
    assert.ok(
      logs.some((l) => /inference worker stuck predicting 1 input for 10 s: terminated/.test(l)),
      logs.join('\n'),
    );
    assert.equal(workers.length, 2, 'a fresh worker');
    assert.deepEqual(workers[1].sent[0].request, { type: 'load', dir: MODEL.dir, label: 'r' });
    // The old worker's exit is not a second restart.
    workers[0].emit('exit', 1);
    assert.equal(workers.length, 2);
    await host.dispose();
  });

  void test(`reliability: 4 hung handler: a load may take ${LOAD_WATCHDOG_FACTOR}× the watchdog before it counts as stuck`, async (t) => {
    const { host, workers } = setup(t);
    const load = host.load(MODEL.dir).catch((e: Error) => e);
    t.mock.timers.tick(LIMITS.watchdogMs * LOAD_WATCHDOG_FACTOR - 1);
    await settle();
    assert.equal(workers[0].terminated, false);
    t.mock.timers.tick(1);
    assertCode(
      await load,
      MlmErrorCodes.InferenceRestarted,
      /stuck loading \/runs\/r\/checkpoints\/step-1 for 100 s/,
    );
    assert.equal(workers[0].terminated, true);
    await host.dispose();
  });
});

void describe('reliability: 4 hung handler — a real inference worker spinning in a fill', () => {
  let run: Awaited<ReturnType<typeof tinyTrainedRun>>;
  before(async () => {
    run = await tinyTrainedRun();
  });
  after(() => run.cleanup());

  void test('reliability: 4 hung handler: the spinning fill answers Busy, the watchdog terminates the worker, the queued request fails naming it, and the next fill works', async () => {
    // The watchdog must not fire on the model load (10× this) of a loaded machine: 2 s here, 20 s for the load.
    const limits: InferenceLimits = { fillDeadlineMs: 200, watchdogMs: 2000 };
    const { host, logs, started } = hostWithFaultyFirstWorker(
      { MLM_TEST_HANG_FILL: 'SPIN-HERE' },
      () => limits,
    );
    try {
      await host.load(run.runDir);
      const hung = host.fill({ text: 'SPIN-HERE the cat [MASK] .', topK: 3, maskToken: '[MASK]' });
      const queued = host.request({ type: 'memory' });
      await assert.rejects(hung, (e: MlmError) => {
        assertCode(
          e,
          MlmErrorCodes.Busy,
          /the inference worker is answering a fill-mask; 1 more request waits/,
        );
        return true;
      });
      await assert.rejects(queued, (e: MlmError) => {
        assertCode(
          e,
          MlmErrorCodes.InferenceRestarted,
          /stuck answering a fill-mask for 2 s and was restarted/,
        );
        return true;
      });
      // The fresh worker first reloads the model: this fill may wait for that.
      limits.fillDeadlineMs = 60_000;
      const r = await host.fill({ text: 'the cat eats [MASK] in the house .', topK: 3, maskToken: '[MASK]' });
      assert.equal(r.masks[0].predictions.length, 3);
      assert.equal(started(), 2, 'one fresh worker');
      assert.ok(
        logs.some((l) => /inference worker stuck answering a fill-mask/.test(l)),
        logs.join('\n'),
      );
    } finally {
      await host.dispose();
    }
  });
});
