/**
 * InferenceHost batching and FillMaskModel caching against a fake inference worker whose replies the test sends
 * itself (so "the worker is busy" is a fact of the test, not of timing). The fake answers a text the way a model
 * would: deterministically from the text, so batched, cached and single answers can be compared.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MlmError, MlmErrorCodes } from '../../../../protocol/errors';
import { FillMaskModel } from '../../../../server/app/fillMaskModel';
import { InferenceCancelled, InferenceHost, MAX_FILL_BATCH } from '../../../../server/worker/inferenceHost';
import type {
  FillAnswer,
  FillOutcome,
  FillParams,
  InferenceResult,
} from '../../../../server/worker/messages';
import { FakeInferenceWorker, settle } from '../worker/inferenceWorkers';

const MODEL = { dir: '/runs/r/checkpoints/step-1', runId: 'r', step: 1 };

/** What the fake model answers for a text: one prediction per mask, scored from the text. */
function answer(p: FillParams, step = 1): FillAnswer {
  const masks = [];
  for (let i = p.text.indexOf(p.maskToken); i !== -1; i = p.text.indexOf(p.maskToken, i + 1)) {
    masks.push({
      offset: [i, i + p.maskToken.length] as [number, number],
      predictions: [{ token: `w${p.text.length % 7}`, id: 3, score: 1 / (1 + p.topK), sequence: p.text }],
    });
  }
  return { masks, model: { ...MODEL, step }, elapsedMs: 1 };
}

/** The fake worker, answering in order as a model would. */
class FakeWorker extends FakeInferenceWorker {
  step = 1;
  /** Answers the oldest unanswered message as the real worker would. */
  replyNext(): void {
    const i = this.replied++;
    const m = this.sent[i];
    assert.ok(m, 'a message to answer');
    const r = m.request;
    let result: InferenceResult;
    if (r.type === 'load') result = { type: 'load', model: { ...MODEL, step: ++this.step } };
    else if (r.type === 'fill') result = { type: 'fill', ...answer(r, this.step) };
    else if (r.type === 'fillBatch') {
      result = {
        type: 'fillBatch',
        results: r.items.map((p): FillOutcome =>
          p.text.includes(p.maskToken)
            ? { ok: true, result: answer(p, this.step) }
            : { ok: false, message: 'the text holds no mask', code: MlmErrorCodes.InvalidParams },
        ),
      };
    } else result = { type: 'memory', memory: { numTensors: 0, numBytes: 0 } };
    this.answer(i, result);
  }
  private replied = 0;
  get pending(): number {
    return this.sent.length - this.replied;
  }
}

async function setup(): Promise<{
  w: FakeWorker;
  host: InferenceHost;
  model: FillMaskModel;
  traces: string[];
}> {
  const w = new FakeWorker();
  const host = new InferenceHost(
    () => ({ backend: 'cpu' }),
    { backend: () => undefined, log: () => undefined },
    () => w,
  );
  const traces: string[] = [];
  const model = new FillMaskModel(host, {
    status: () => undefined,
    log: () => undefined,
    root: () => '/',
    maskToken: () => '[MASK]',
    trace: (m) => traces.push(m),
  });
  const loaded = model.load('/runs/r', 'loaded');
  w.replyNext();
  await loaded;
  return { w, host, model, traces };
}

const fillParams = (text: string, topK = 5): FillParams => ({ text, topK, maskToken: '[MASK]' });
const never = (): boolean => false;

void describe('InferenceHost batching', () => {
  void test('fills that queue while the worker is busy go in one message, each answered as alone', async () => {
    const { w, host } = await setup();
    const texts = ['one [MASK]', 'two [MASK] [MASK]', 'three [MASK] x', 'no mask here'];
    const first = host.fill(fillParams('first [MASK]'));
    const rest = texts.map((t) =>
      host.fill(fillParams(t)).then(
        (r) => r,
        (e: Error) => e,
      ),
    );
    assert.equal(w.pending, 1, 'the worker has only the first one');
    w.replyNext();
    await first;
    assert.equal(w.pending, 1, 'the rest went as one message');
    const batch = w.sent.at(-1)!.request;
    assert.equal(batch.type, 'fillBatch');
    assert.deepEqual(batch.type === 'fillBatch' && batch.items.map((i) => i.text), texts);
    w.replyNext();
    const got = await Promise.all(rest);
    texts.slice(0, 3).forEach((t, i) => {
      const r = got[i];
      assert.ok(!(r instanceof Error));
      const { masks, model, elapsedMs } = r;
      assert.deepEqual({ masks, model, elapsedMs }, answer(fillParams(t), 2));
    });
    assert.ok(got[3] instanceof Error && /no mask/.test(got[3].message), 'one bad item fails alone');
  });

  void test('a request cancelled while waiting is dropped from the batch before it runs', async () => {
    const { w, host } = await setup();
    const first = host.fill(fillParams('busy [MASK]'));
    let cancelled = false;
    const dropped = host.fill(fillParams('moved away [MASK]'), () => cancelled);
    const kept = host.fill(fillParams('still here [MASK]'));
    cancelled = true;
    w.replyNext();
    await first;
    await assert.rejects(dropped, InferenceCancelled);
    const batch = w.sent.at(-1)!.request;
    assert.deepEqual(batch.type === 'fillBatch' && batch.items.map((i) => i.text), ['still here [MASK]']);
    w.replyNext();
    assert.equal((await kept).masks.length, 1);
  });

  void test(`at most ${MAX_FILL_BATCH} fills a message; a load waits behind them and bumps the generation`, async () => {
    const { w, host } = await setup();
    const g0 = host.generation;
    const first = host.fill(fillParams('busy [MASK]'));
    const load = host.load('/runs/r');
    const fills = Array.from({ length: MAX_FILL_BATCH + 2 }, (_, i) => host.fill(fillParams(`t${i} [MASK]`)));
    w.replyNext(); // first
    await first;
    const sizes = (): Array<number | string> =>
      w.sent.map((m) => (m.request.type === 'fillBatch' ? m.request.items.length : m.request.type));
    w.replyNext(); // the full batch
    await settle();
    w.replyNext(); // the 2 left over, still ahead of the load
    await settle();
    assert.deepEqual(sizes(), ['load', 1, MAX_FILL_BATCH, 2, 'load']);
    const results = await Promise.all(fills);
    assert.ok(results.every((r) => r.generation === g0));
    w.replyNext(); // the load
    await load;
    assert.equal(host.generation, g0 + 1);
  });
});

void describe('FillMaskModel cache', () => {
  const doc = (version: number, current = () => true) => ({
    uri: 'file:///n.txt',
    version,
    start: 0,
    isCurrent: current,
  });

  void test('the same hover again is answered without the worker; another version is not', async () => {
    const { w, model, traces } = await setup();
    const p = { text: 'the [MASK] sat', topK: 5 };
    const a = model.fill(p, never, doc(1));
    w.replyNext();
    const first = await a;
    const sent = w.sent.length;
    assert.deepEqual(await model.fill(p, never, doc(1)), first, 'identical answer');
    assert.equal(w.sent.length, sent, 'no message to the worker');
    assert.equal(model.cacheStats.hits, 1);
    const b = model.fill(p, never, doc(2));
    assert.equal(w.sent.length, sent + 1, 'version 2 goes to the worker');
    w.replyNext();
    assert.deepEqual(await b, first);
    assert.deepEqual(
      traces.map((t) => t.split(':')[0]),
      ['fill-mask computed', 'fill-mask cache hit', 'fill-mask computed'],
    );
  });

  void test('an answer for a version the document has left is returned but not cached', async () => {
    const { w, model } = await setup();
    let version = 1;
    const p = { text: 'the [MASK] sat', topK: 5 };
    const a = model.fill(
      p,
      never,
      doc(1, () => version === 1),
    );
    version = 2; // the user typed while the model ran
    w.replyNext();
    assert.equal((await a).masks.length, 1);
    assert.equal(model.cacheStats.size, 0);
  });

  void test('a new model (load) invalidates; forgetDocument drops the document', async () => {
    const { w, model } = await setup();
    const p = { text: 'the [MASK] sat', topK: 5 };
    const fill = async (): Promise<number | undefined> => {
      const before = w.sent.length;
      const r = model.fill(p, never, doc(1));
      if (w.sent.length > before) w.replyNext();
      return (await r).model.step;
    };
    assert.equal(await fill(), 2);
    const sent = w.sent.length;
    const loaded = model.load('/runs/r', 'loaded');
    w.replyNext();
    await loaded;
    assert.equal(await fill(), 3, 'the new model answers');
    assert.equal(w.sent.length, sent + 2, 'the load and a fresh fill');
    model.forgetDocument('file:///n.txt');
    assert.equal(await fill(), 3);
    assert.equal(w.sent.length, sent + 3, 'computed again after forgetDocument');
  });

  void test('an identical request waits for the running one; cancelled only when all its callers are', async () => {
    const { w, model } = await setup();
    const p = { text: 'the [MASK] sat', topK: 5 };
    const busy = model.fill({ text: 'busy [MASK]', topK: 5 }, never);
    let aCancelled = false;
    let bCancelled = false;
    const a = model.fill(p, () => aCancelled, doc(1));
    const b = model.fill(p, () => bCancelled, doc(1));
    aCancelled = true;
    w.replyNext();
    await busy;
    w.replyNext();
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra, rb, 'one computation for both');
    assert.equal(w.sent.filter((m) => m.request.type === 'fillBatch').length, 2);

    const c = model.fill({ text: 'c [MASK]', topK: 5 }, never);
    const busy2 = model.fill({ text: 'busy2 [MASK]', topK: 5 }, never);
    const d = model.fill({ text: 'd [MASK]', topK: 5 }, () => bCancelled);
    const d2 = model.fill({ text: 'd [MASK]', topK: 5 }, () => bCancelled);
    bCancelled = true;
    w.replyNext();
    await c;
    await assert.rejects(d, (e) => e instanceof InferenceCancelled);
    await assert.rejects(d2, (e) => e instanceof InferenceCancelled);
    w.replyNext();
    await busy2;
  });

  void test('no model → NoModel, before the cache', async () => {
    const w = new FakeWorker();
    const host = new InferenceHost(
      () => ({ backend: 'cpu' }),
      { backend: () => undefined, log: () => undefined },
      () => w,
    );
    const model = new FillMaskModel(host, {
      status: () => undefined,
      log: () => undefined,
      root: () => '/',
      maskToken: () => '[MASK]',
    });
    await assert.rejects(
      model.fill({ text: 'a [MASK]', topK: 5 }, never),
      (e) => e instanceof MlmError && e.code === MlmErrorCodes.NoModel,
    );
    assert.equal(w.sent.length, 0);
  });
});
