/**
 * reliability: 4 hung handler, over the real pipe: the backend runs with MLM_TEST_HANG_FILL, so a fill whose text
 * holds the marker spins its inference worker for ever. The hover on it answers "Model busy" at its deadline, a fill
 * queued behind it fails with a code, the watchdog terminates and restarts the worker (logged), and then hovers and
 * mlm/fillMask answer from the reloaded model; the connection answers throughout.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { MlmErrorCodes } from '../../protocol/errors';
import type { FillMaskRequest } from '../../protocol/inference';
import { MODEL_BUSY_HOVER } from '../../protocol/inference';
import { backendWithTinyBert, stopServer, type Spawned } from './harness';

const MARKER = 'SPIN-HERE';
const TEXT = `${MARKER} the cat sat on the [MASK].\n\nThe dog runs in the [MASK] every morning.`;

interface Hover {
  contents: { kind: string; value: string };
}

void describe('reliability: 4 hung handler over JSON-RPC', { timeout: 120_000 }, () => {
  let s: Spawned;
  let ws: string;
  const uri = (): string => `file://${path.join(ws, 'hang.txt')}`;
  const hover = (line: number): Promise<Hover> =>
    s.conn.sendRequest<Hover>('textDocument/hover', {
      textDocument: { uri: uri() },
      position: { line, character: TEXT.split('\n')[line].indexOf('[MASK]') + 1 },
    });
  const settings = (deadlineSeconds: number) => ({
    mlm: { inference: { deadlineSeconds, watchdogSeconds: 3 } },
  });

  void before(async () => {
    ({ s, ws } = await backendWithTinyBert(
      { env: { MLM_TEST_HANG_FILL: MARKER, MLM_BACKEND: 'wasm' } },
      { settings: settings(0.3) },
    ));
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: uri(), languageId: 'plaintext', version: 1, text: TEXT },
    });
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('reliability: 4 hung handler: a hover on a spinning worker says "Model busy", a queued fill fails with a code, the watchdog restarts the worker, then fill-mask answers', async () => {
    const restarted = s.notes.next<{ message: string }>('window/logMessage', (p) =>
      /inference worker stuck answering a fill-mask for 3 s: terminated/.test(p.message),
    );
    const busy = await hover(0);
    assert.ok(busy.contents.value.startsWith(`${MODEL_BUSY_HOVER}: the model is busy`), busy.contents.value);
    // (the reason is markdown-escaped)
    assert.match(
      busy.contents.value.replace(/\\/g, ''),
      /is answering a fill-mask\) and did not answer within 0.3 s/,
    );
    // Behind the stuck fill: Busy at its own deadline, or InferenceRestarted if the watchdog came first.
    const queued = await s.conn
      .sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text: 'The cat sat on the [MASK].' })
      .then(
        () => assert.fail('a fill behind a stuck worker must not be answered'),
        (e: ResponseError<unknown>) => e,
      );
    assert.ok(
      queued.code === MlmErrorCodes.Busy || queued.code === MlmErrorCodes.InferenceRestarted,
      `${queued.code}: ${queued.message}`,
    );
    // The connection is answered throughout.
    assert.ok(await s.conn.sendRequest('mlm/status'));
    await restarted;
    // The fresh worker reloads the model first: give fills time for that.
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: settings(60) });
    const r = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', {
      text: 'The cat sat on the [MASK].',
    });
    assert.equal(r.masks.length, 1);
    const h = await hover(2);
    assert.match(h.contents.value, /\| 1 \| \[/, 'a prediction table from the reloaded model');
  });
});
