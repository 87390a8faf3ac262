/**
 * Cancellation hygiene over the real pipe: 1,000 hovers on [MASK], each cancelled 5 ms after it was sent (in waves
 * of 50, the document edited between waves so that the model works rather than the cache answering), each answered
 * with RequestCancelled or a result; afterwards the inference worker's live tensors (mlm/gpu tfMemory) are back to
 * their baseline and the backend logged no unhandled rejection.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { GpuTelemetry } from '../../protocol/status';
import { backendWithTinyBert, stopServer, type Spawned } from './harness';

const HOVERS = 1000;
const WAVE = 50;

void describe('cancellation hygiene', { timeout: 180_000 }, () => {
  let s: Spawned;
  let ws: string;
  const uri = (): string => `file://${path.join(ws, 'cancel.txt')}`;

  void before(async () => {
    ({ s, ws } = await backendWithTinyBert({
      env: { MLM_GPU_POLL_MS: '200', MLM_CORPUS_STABILITY_MS: '20' },
    }));
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  /** The inference worker's live tensors once two telemetry ticks in a row agree (it is idle). */
  async function settledTensors(): Promise<number> {
    let last = -1;
    for (;;) {
      const since = s.notes.all.length;
      const g = await s.notes.next<GpuTelemetry>('mlm/gpu', () => true, since);
      if (g.tfMemory.numTensors === last) return last;
      last = g.tfMemory.numTensors;
    }
  }

  const hover = (token?: CancellationTokenSource): Promise<unknown> => {
    const params = { textDocument: { uri: uri() }, position: { line: 0, character: 21 } };
    return token
      ? s.conn.sendRequest('textDocument/hover', params, token.token)
      : s.conn.sendRequest('textDocument/hover', params);
  };

  void test(`reliability: 6 cancellation hygiene — ${HOVERS} hovers cancelled after 5 ms: each RequestCancelled or a result, tensors back to baseline, no unhandled rejection`, async (t) => {
    let version = 1;
    const edit = async (word: string) =>
      s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri: uri(), version: ++version },
        contentChanges: [{ text: `The ${word} sat on the [MASK] near the door.` }],
      });
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: {
        uri: uri(),
        languageId: 'plaintext',
        version,
        text: 'The cat sat on the [MASK] near the door.',
      },
    });
    assert.ok(await hover(), 'an uncancelled hover answers');
    const baseline = await settledTensors();

    const outcomes = new Map<string, number>();
    for (let wave = 0; wave < HOVERS / WAVE; wave++) {
      await edit(`w${String(wave).padStart(2, '0')}`); // 3 letters: the mask stays under the cursor
      const answers = await Promise.all(
        Array.from({ length: WAVE }, () => {
          const cts = new CancellationTokenSource();
          const p = hover(cts).then(
            (r) => (r ? 'result' : 'empty'),
            (e: { code: number }) => (e.code === -32800 ? 'cancelled' : `error ${e.code}`),
          );
          setTimeout(() => cts.cancel(), 5);
          return p;
        }),
      );
      for (const a of answers) outcomes.set(a, (outcomes.get(a) ?? 0) + 1);
    }
    const summary = JSON.stringify(Object.fromEntries(outcomes));
    assert.equal((outcomes.get('result') ?? 0) + (outcomes.get('cancelled') ?? 0), HOVERS, summary);
    assert.ok((outcomes.get('cancelled') ?? 0) > 0, `some were cancelled in time: ${summary}`);

    assert.ok(await hover(), 'the backend still answers');
    assert.equal(await settledTensors(), baseline, 'live tensors back to their baseline');
    const logs = JSON.stringify(s.notes.of('window/logMessage')) + s.stderr();
    assert.doesNotMatch(logs, /unhandled rejection|uncaught exception/i);
    t.diagnostic(`${HOVERS} cancelled hovers: ${summary}; tensors ${baseline} → ${baseline}`);
  });
});
