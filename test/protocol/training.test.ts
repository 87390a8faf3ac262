/**
 * The main scenario over the real pipe: initialize → mlm/train (tiny model, fixture corpus) → metrics →
 * mlm/fillMask and a hover on [MASK] while training → mlm/stop → mlm/runFinished; plus the rejections
 * (second run, invalid config) and the corpus index following file changes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { MlmErrorCodes } from '../../protocol/errors';
import type { FillMaskRequest } from '../../protocol/inference';
import type { CorpusStats } from '../../protocol/corpus';
import type { ServerStatus } from '../../protocol/status';
import type { MetricRecord } from '../../protocol/shared/metrics';
import type {
  MetricsNotification,
  RunDetailsRequest,
  RunFinishedNotification,
  RunMetricsRequest,
  RunsRequest,
  TrainRequest,
} from '../../protocol/training';
import { startBackend, stopServer, TINY_RUN, type Spawned } from './harness';

void describe('training over JSON-RPC', { timeout: 90_000 }, () => {
  let s: Spawned;
  let ws: string;
  let run: TrainRequest.Result;
  const uri = (): string => `file://${path.join(ws, 'notes.txt')}`;

  void before(async () => {
    ({ s, ws } = await startBackend({
      spawn: { env: { MLM_GPU_POLL_MS: '1000', MLM_CORPUS_STABILITY_MS: '20' } },
      init: { settings: { mlm: { hover: { topK: 3 } } } },
    }));
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('fill-mask without a model is a NoModel error, and the hover explains', async () => {
    await assert.rejects(s.conn.sendRequest('mlm/fillMask', { text: 'a [MASK]' }), {
      code: MlmErrorCodes.NoModel,
    });
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: {
        uri: uri(),
        languageId: 'plaintext',
        version: 1,
        text: 'The cat sat on the [MASK]. The [MASK] runs.',
      },
    });
    const h = await s.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', {
      textDocument: { uri: uri() },
      position: { line: 0, character: 21 },
    });
    assert.match(h!.contents.value, /No model/);
  });

  void test('reliability: 27 config validation — an invalid run config is rejected with the errors, before anything starts', async () => {
    await assert.rejects(
      s.conn.sendRequest('mlm/train', { config: { training: { lr: -1 } } }),
      (e: { code: number; message: string; data: { errors: string[] } }) =>
        e.code === MlmErrorCodes.InvalidRunConfig &&
        /training\.lr/.test(e.message) &&
        e.data.errors.length > 0,
    );
    await assert.rejects(s.conn.sendRequest('mlm/train', {}), { code: MlmErrorCodes.InvalidParams });
  });

  void test('mlm/train answers with the run id; a second train is rejected', async () => {
    run = await s.conn.sendRequest<TrainRequest.Result>('mlm/train', { config: TINY_RUN });
    assert.match(run.runId, /tiny/);
    assert.ok(fs.existsSync(run.runDir));
    await assert.rejects(s.conn.sendRequest('mlm/train', { config: TINY_RUN }), {
      code: MlmErrorCodes.RunInProgress,
    });
  });

  void test('metrics arrive in batches, the status follows the run', async () => {
    const failed = s.notes
      .next<RunFinishedNotification.Params>('mlm/runFinished', (p) => p.outcome === 'failed')
      .then((p) => assert.fail(`the run failed: ${p.message}`));
    const m = await Promise.race([
      s.notes.next<MetricsNotification.Params>('mlm/metrics', (p) => p.runId === run.runId),
      failed,
    ]);
    assert.ok(m.records.length >= 1);
    assert.ok(Number.isFinite(m.records[0].loss));
    const st = await s.notes.next<ServerStatus>(
      'mlm/serverStatus',
      (p) => p.state === 'training' && (p.step ?? 0) > 0,
    );
    assert.equal(st.runId, run.runId);
    assert.equal(st.backend, 'wasm');
  });

  void test('reliability: 5 training does not starve LSP — fill-mask and hover answer while the run trains, from its published checkpoint', async () => {
    await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.model?.runId === run.runId);
    const fm = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', {
      text: 'The cat sat on the [MASK]. The [MASK] runs.',
      topK: 4,
    });
    assert.equal(fm.masks.length, 2);
    assert.deepEqual(fm.masks[0].offset, [19, 25]);
    assert.equal(fm.masks[0].predictions.length, 4);
    const sum = fm.masks[0].predictions.reduce((a, p) => a + p.score, 0);
    assert.ok(sum > 0 && sum <= 1.0001);
    const h = await s.conn.sendRequest<{ contents: { value: string }; range: unknown } | null>(
      'textDocument/hover',
      {
        textDocument: { uri: uri() },
        position: { line: 0, character: 31 },
      },
    );
    assert.ok(h, 'a hover on the second mask');
    // The mask's own table comes after the paragraph's joint completions (two masks here).
    const own = h.contents.value.slice(h.contents.value.indexOf('**Mask 2 of 2 on its own**'));
    assert.doesNotMatch(h.contents.value, /Fill mask/, 'one heading per table');
    assert.match(h.contents.value, /\*\*Best completions\*\* \(2 masks/);
    assert.equal(own.split('\n').filter((l) => /^\| \d/.test(l)).length, 3, 'topK from settings');
    assert.match(h.contents.value, /command:mlm\.replaceMask/);
    assert.deepEqual(h.range, { start: { line: 0, character: 31 }, end: { line: 0, character: 37 } });
    const none = await s.conn.sendRequest('textDocument/hover', {
      textDocument: { uri: uri() },
      position: { line: 0, character: 2 },
    });
    assert.equal(none, null, 'no hover away from a mask');
  });

  void test('cancelled hovers get RequestCancelled or a result, and the backend stays responsive', async () => {
    // A new document version, so the hovers are not answered from the fill-mask cache before their cancellation.
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri: uri(), version: 2 },
      contentChanges: [{ text: 'The cat sat on the [MASK]. The [MASK] runs.' }],
    });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, () => {
        const cts = new CancellationTokenSource();
        const p = s.conn
          .sendRequest(
            'textDocument/hover',
            { textDocument: { uri: uri() }, position: { line: 0, character: 21 } },
            cts.token,
          )
          .then(
            (r) => (r ? 'result' : 'null'),
            (e: { code: number }) => (e.code === -32800 ? 'cancelled' : `error ${e.code}`),
          );
        cts.cancel();
        return p;
      }),
    );
    assert.ok(
      outcomes.every((o) => o === 'result' || o === 'cancelled'),
      outcomes.join(','),
    );
    assert.ok(outcomes.includes('cancelled'));
    const fm = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text: 'the [MASK]' });
    assert.equal(fm.masks.length, 1);
  });

  void test('pause and resume', async () => {
    assert.deepEqual(await s.conn.sendRequest('mlm/pause', { runId: run.runId }), { runId: run.runId });
    // The trainer itself reports the pause when it stops between steps (phase 'paused'), and the status stays so.
    await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.state === 'paused' && p.phase === 'paused');
    const paused = await s.conn.sendRequest<ServerStatus>('mlm/status');
    assert.equal(paused.state, 'paused');
    assert.equal(paused.phase, 'paused');
    const since = s.notes.all.length;
    assert.deepEqual(await s.conn.sendRequest('mlm/resume', {}), { runId: run.runId });
    await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.state === 'training', since);
    await assert.rejects(s.conn.sendRequest('mlm/pause', { runId: 'another-run' }), {
      code: MlmErrorCodes.NoActiveRun,
    });
  });

  void test('mlm/stop ends the run with mlm/runFinished', async () => {
    const finished = s.notes.next<RunFinishedNotification.Params>(
      'mlm/runFinished',
      (p) => p.runId === run.runId,
    );
    assert.deepEqual(await s.conn.sendRequest('mlm/stop', {}), { runId: run.runId });
    const f = await finished;
    assert.equal(f.outcome, 'stopped');
    assert.ok(f.step > 0);
    await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.state === 'stopped');
    await assert.rejects(s.conn.sendRequest('mlm/stop', {}), { code: MlmErrorCodes.NoActiveRun });
    const runs = await s.conn.sendRequest<RunsRequest.Result>('mlm/runs', { includeMetrics: true });
    assert.equal(runs.runs[0].runId, run.runId);
    assert.equal(runs.runs[0].active, false);
    assert.ok(runs.metrics![run.runId].length > 0);
  });

  void test('mlm/runMetrics pages the history from any step; mlm/runDetails has config and checkpoints', async () => {
    const all = (await s.conn.sendRequest<RunsRequest.Result>('mlm/runs', { includeMetrics: true })).metrics![
      run.runId
    ];
    const paged: MetricRecord[] = [];
    let offset: number | undefined = 0;
    let pages = 0;
    while (offset !== undefined) {
      const page: RunMetricsRequest.Result = await s.conn.sendRequest('mlm/runMetrics', {
        runId: run.runId,
        offset,
        limit: 7,
      });
      paged.push(...page.records);
      offset = page.nextOffset;
      pages++;
    }
    assert.deepEqual(paged, all);
    assert.equal(pages, Math.ceil(all.length / 7));
    const from = all[Math.floor(all.length / 2)].step;
    const tail = await s.conn.sendRequest<RunMetricsRequest.Result>('mlm/runMetrics', {
      runId: run.runId,
      fromStep: from,
    });
    assert.deepEqual(
      tail.records,
      all.filter((m) => m.step >= from),
    );
    const d = await s.conn.sendRequest<RunDetailsRequest.Result>('mlm/runDetails', { runId: run.runId });
    assert.equal(d.run.runId, run.runId);
    assert.equal(d.config?.model.overrides.hiddenSize, TINY_RUN.model.overrides.hiddenSize);
    assert.ok(d.checkpoints.length > 0, 'the stopped run saved checkpoints');
    assert.ok(d.checkpoints.every((c) => c.dir.startsWith(run.runDir)));
    await assert.rejects(s.conn.sendRequest('mlm/runDetails', { runId: '../../etc' }), {
      code: MlmErrorCodes.InvalidParams,
    });
  });

  void test('mlm/corpusStats follows file changes', async () => {
    const stats = (): Promise<CorpusStats> => s.conn.sendRequest<CorpusStats>('mlm/corpusStats');
    let st = await stats();
    const files = st.files;
    assert.ok(files >= 3, JSON.stringify(st));
    const since = s.notes.all.length;
    fs.writeFileSync(path.join(ws, 'added.txt'), 'A brand new file about the cat.\n');
    // Indexing reports through $/progress; its end means the index is current again.
    await s.notes.next<{ value: { kind: string } }>('$/progress', (p) => p.value.kind === 'end', since);
    st = await stats();
    assert.equal(st.files, files + 1);
    assert.equal(st.indexing, false);
  });
});
