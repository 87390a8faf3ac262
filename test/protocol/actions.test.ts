/**
 * The run actions over the real pipe (MLM: Evaluate Run…, Import Hugging Face Model…, Tokenizer Coverage Report):
 * mlm/importModel of the tiny BERT fixture → a run mlm/runs lists; mlm/evaluateRun of a trained run on its held-out
 * split and on a corpus, with $/progress over batches; a cancelled evaluation stops its job worker; mlm/coverageReport
 * of a text and of a file; and the rejections of bad input, each naming the cause.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type {
  CoverageReportRequest,
  EvaluateRunRequest,
  ImportModelRequest,
  MlmEvaluation,
} from '../../protocol/actions';
import { MlmErrorCodes } from '../../protocol/errors';
import type { RunFinishedNotification, RunsRequest, TrainRequest } from '../../protocol/training';
import { startBackend, stopServer, TINY_BERT, TINY_RUN, type Spawned } from './harness';

const REQUEST_CANCELLED = -32800;

/** Threads of the backend process (its job worker adds some while it runs). */
const threads = (pid: number): number => fs.readdirSync(`/proc/${pid}/task`).length;

void describe('run actions over JSON-RPC', { timeout: 900_000 }, () => {
  let s: Spawned;
  let ws: string;
  let trained: TrainRequest.Result;
  const send = <R>(method: string, params: unknown, token?: CancellationTokenSource): Promise<R> =>
    token ? s.conn.sendRequest<R>(method, params, token.token) : s.conn.sendRequest<R>(method, params);
  const refused = async (method: string, params: unknown, re: RegExp): Promise<void> => {
    await assert.rejects(send(method, params), (e: { code: number; message: string }) => {
      assert.equal(e.code, MlmErrorCodes.InvalidParams, `${method} ${JSON.stringify(params)}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  };
  const progressOf = (token: string): Array<{ kind: string; percentage?: number; message?: string }> =>
    s.notes
      .of<{ token: string; value: { kind: string; percentage?: number; message?: string } }>('$/progress')
      .filter((p) => p.token === token)
      .map((p) => p.value);

  void before(async () => {
    ({ s, ws } = await startBackend({
      spawn: { env: { MLM_BACKEND: 'cpu', MLM_GPU_POLL_MS: '60000', MLM_CORPUS_STABILITY_MS: '20' } },
    }));
    trained = await send<TrainRequest.Result>('mlm/train', {
      config: { ...TINY_RUN, training: { ...TINY_RUN.training, maxSteps: 10 } },
    });
    await s.notes.next<RunFinishedNotification.Params>('mlm/runFinished', (p) => p.runId === trained.runId);
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('mlm/importModel turns a Hugging Face folder into a run mlm/runs lists', async () => {
    const r = await send<ImportModelRequest.Result>('mlm/importModel', {
      folder: TINY_BERT,
      workDoneToken: 'imp',
    });
    assert.equal(r.runId, 'hf-tiny-bert-imported');
    assert.equal(r.kind, 'mlm');
    assert.equal(r.runDir, path.join(ws, '.mlm', 'runs', r.runId));
    assert.match(r.summary, /Bert/);
    assert.ok(
      r.report.some((l) => /imported .* weights/.test(l)),
      r.report.join('\n'),
    );
    const { runs } = await send<RunsRequest.Result>('mlm/runs', {});
    const listed = runs.find((x) => x.runId === r.runId);
    assert.ok(listed && listed.checkpoints.length === 1, 'the imported run has its step-0 checkpoint');
    assert.equal(progressOf('imp')[0]?.kind, 'begin');
    assert.equal(progressOf('imp').at(-1)?.kind, 'end');
  });

  void test('mlm/importModel refuses a folder that is not a Hugging Face model, naming what is missing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /needs \{ folder \}/],
      [{ folder: 'nowhere' }, /is not a folder/],
      [{ folder: '.' }, /no config\.json/],
      [{ folder: TINY_BERT }, /exists already/],
      [{ folder: TINY_BERT, runId: '../x' }, /runId must be a folder name/],
    ];
    for (const [p, re] of cases) await refused('mlm/importModel', p, re);
    // config.json without weights: the importer names the missing weights; nothing is left behind.
    fs.mkdirSync(path.join(ws, 'half'));
    fs.copyFileSync(path.join(TINY_BERT, 'config.json'), path.join(ws, 'half', 'config.json'));
    await refused('mlm/importModel', { folder: 'half' }, /safetensors|weights/);
    assert.ok(!fs.existsSync(path.join(ws, '.mlm', 'runs', 'half-imported')));
  });

  void test('mlm/evaluateRun: the held-out split by default, with the baseline and $/progress over batches', async () => {
    const r = await send<EvaluateRunRequest.Result>('mlm/evaluateRun', {
      runId: trained.runId,
      batchSize: 1,
      workDoneToken: 'ev',
    });
    const e = r.evaluation as MlmEvaluation;
    assert.equal(e.kind, 'mlm');
    assert.match(e.source, /held-out split/);
    assert.ok(e.tokens > 0 && e.examples > 0);
    assert.ok(e.accuracy >= 0 && e.accuracy <= 1 && e.baselineAccuracy >= 0 && e.baselineAccuracy <= 1);
    assert.ok(Math.abs(e.perplexity - Math.exp(e.loss)) < 1e-6 * e.perplexity);
    assert.ok(r.report.some((l) => l.startsWith('unigram baseline:')));
    const p = progressOf('ev');
    assert.equal(p[0].kind, 'begin');
    assert.ok(
      p.some((v) => v.percentage === 100 && /batch/.test(v.message ?? '')),
      JSON.stringify(p),
    );
    assert.equal(p.at(-1)!.kind, 'end');
  });

  void test('mlm/evaluateRun on a corpus matches the same masks every time', async () => {
    const a = await send<EvaluateRunRequest.Result>('mlm/evaluateRun', {
      runId: trained.runId,
      corpus: ['.'],
    });
    const b = await send<EvaluateRunRequest.Result>('mlm/evaluateRun', {
      runId: trained.runId,
      corpus: [ws],
    });
    assert.match((a.evaluation as MlmEvaluation).source, /3 file/);
    assert.deepEqual(a.evaluation, b.evaluation);
  });

  void test('a cancelled evaluation fails with RequestCancelled and its job worker ends', async () => {
    // A corpus long enough to take many batches of one example.
    const line = 'the river runs past the garden where the animals drink and the birds sing in the morning. ';
    fs.writeFileSync(path.join(ws, 'long.txt'), `${line.repeat(20)}\n`.repeat(2000));
    const pid = s.proc.pid!;
    const cancel = new CancellationTokenSource();
    const pending = send(
      'mlm/evaluateRun',
      { runId: trained.runId, corpus: ['long.txt'], batchSize: 1, workDoneToken: 'cancel-me' },
      cancel,
    );
    const rejected = assert.rejects(pending, (e: { code: number }) => e.code === REQUEST_CANCELLED);
    await s.notes.next<{ token: string; value: { message?: string } }>(
      '$/progress',
      (p) => p.token === 'cancel-me' && /batch [1-9]/.test(p.value.message ?? ''),
    );
    const running = threads(pid);
    cancel.cancel();
    await rejected;
    // The job's worker thread is terminated, not left computing: the thread count drops (polled, bounded).
    for (let i = 0; i < 100 && threads(pid) >= running; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(threads(pid) < running, `threads ${threads(pid)}, ${running} while it ran`);
    // The backend still answers.
    const r = await send<EvaluateRunRequest.Result>('mlm/evaluateRun', {
      runId: trained.runId,
      corpus: ['river.txt'],
    });
    assert.ok((r.evaluation as MlmEvaluation).tokens > 0);
  });

  void test('mlm/evaluateRun rejects bad input, naming the cause', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ runId: 'nope' }, /no run nope/],
      [{ runId: trained.runId, corpus: [] }, /corpus must be a non-empty list/],
      [{ runId: trained.runId, corpus: ['missing-folder'] }, /does not exist/],
      [{ runId: trained.runId, data: 'x.csv' }, /pretraining run/],
      [{ runId: trained.runId, corpus: ['.'], data: 'x.csv' }, /not both/],
      [{ runId: trained.runId, batchSize: 0 }, /batchSize/],
    ];
    for (const [p, re] of cases) await refused('mlm/evaluateRun', p, re);
  });

  void test('mlm/coverageReport of a text and of a file, and its rejections', async () => {
    const t = await send<CoverageReportRequest.Result>('mlm/coverageReport', {
      runId: 'hf-tiny-bert-imported',
      text: 'The river runs past the garden. Zyxwvutsrq floccinaucinihilipilification!',
      top: 5,
    });
    assert.equal(t.words, 10); // the, river, runs, past, the, garden, ., zyxwvutsrq, flocc…, !
    assert.ok(t.wholeWords > 0 && t.wholeWords < t.words);
    assert.ok(t.pieces >= t.words);
    assert.ok(t.fragmented.some((w) => w.word === 'floccinaucinihilipilification' && w.pieces.length >= 3));
    const f = await send<CoverageReportRequest.Result>('mlm/coverageReport', {
      runId: trained.runId,
      files: ['river.txt'],
    });
    assert.ok(f.words > 0 && f.vocabSize > 0);
    const cases: Array<[unknown, RegExp]> = [
      [{ runId: trained.runId }, /exactly one of/],
      [{ runId: trained.runId, text: 'a', files: ['b'] }, /exactly one of/],
      [{ runId: trained.runId, text: 'a', top: -1 }, /top must be/],
      [{ runId: trained.runId, files: ['missing.txt'] }, /missing\.txt/],
      [{ runId: trained.runId, text: '  ' }, /no words/],
      [{ runId: 'nope', text: 'a' }, /no run nope/],
    ];
    for (const [p, re] of cases) await refused('mlm/coverageReport', p, re);
  });
});
