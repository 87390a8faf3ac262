/**
 * The surprise lens over the real pipe (mlm/surprise), with a model imported from the tiny Hugging Face fixture:
 * every word scored with its range and alternatives, passages cached per model so that an edit re-scores only the
 * passage it touched, hovers answered while the lens works, and the rejections.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { SurpriseRequest } from '../../protocol/surprise';
import { backendWithTinyBert, stopServer, type Spawned } from './harness';

const PARAS = [
  'The cat sat on the mat in the morning.',
  'The dog runs in the park every day.',
  'Birds sing in the old tree by the river.',
];

void describe('surprise lens over JSON-RPC', { timeout: 60_000 }, () => {
  let s: Spawned;
  let ws: string;
  let uri: string;
  let version = 1;
  const surprise = (params: Partial<SurpriseRequest.Params> = {}): Promise<SurpriseRequest.Result> =>
    s.conn.sendRequest<SurpriseRequest.Result>('mlm/surprise', { textDocument: { uri }, ...params });

  void before(async () => {
    ({ s, ws } = await backendWithTinyBert({ env: { MLM_BACKEND: 'wasm' } }));
    uri = `file://${path.join(ws, 'lens.txt')}`;
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'plaintext', version, text: PARAS.join('\n\n') },
    });
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('every word of the document scored, with its range, probability and alternatives', async () => {
    const r = await surprise();
    assert.equal(r.version, 1);
    assert.equal(r.computed, 3);
    const lines = PARAS.join('\n\n').split('\n');
    const words = PARAS.join(' ').match(/[\p{L}\p{N}]+/gu) ?? [];
    assert.equal(r.words.length, words.length);
    for (const w of r.words) {
      assert.equal(w.range.start.line, w.range.end.line);
      assert.equal(lines[w.range.start.line].slice(w.range.start.character, w.range.end.character), w.word);
      assert.ok(w.probability > 0 && w.probability <= 1, String(w.probability));
      assert.ok(w.alternatives.length > 0 && w.alternatives.every((a) => a.score > 0 && a.score <= 1));
    }
  });

  void test('again: all from the cache; after an edit only the edited passage is scored', async () => {
    const again = await surprise();
    assert.deepEqual([again.computed, again.cached], [0, 3]);
    version++;
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text: [PARAS[0], PARAS[1].replace('park', 'prak'), PARAS[2]].join('\n\n') }],
    });
    const edited = await surprise();
    assert.equal(edited.version, version);
    assert.deepEqual([edited.computed, edited.cached], [1, 2]);
    assert.ok(edited.words.some((w) => w.word === 'prak'));
  });

  void test('ranges limit the passages; a hover is answered while the lens works', async () => {
    const one = await surprise({
      ranges: [{ start: { line: 4, character: 0 }, end: { line: 4, character: 5 } }],
    });
    assert.ok(one.words.every((w) => w.range.start.line === 4));
    const maskUri = `file://${path.join(ws, 'mask.txt')}`;
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: maskUri, languageId: 'plaintext', version: 1, text: 'The cat sat on the [MASK].' },
    });
    version++;
    const longText = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} says the cat sat on the mat.`).join(
      '\n\n',
    );
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text: longText }],
    });
    const lens = surprise();
    const hover = await s.conn.sendRequest<{ contents: { value: string } }>('textDocument/hover', {
      textDocument: { uri: maskUri },
      position: { line: 0, character: 21 },
    });
    assert.match(hover.contents.value, /Fill mask/);
    const r = await lens;
    assert.equal(r.computed, 30);
  });

  void test('a document the backend does not have, or bad ranges: InvalidParams naming the cause', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ textDocument: { uri: 'file:///nope.txt' } }, /is not open in the backend/],
      [{ textDocument: { uri }, ranges: [{ start: 1 }] }, /ranges must be an array/],
      [{}, /textDocument\.uri must be/],
    ];
    for (const [params, re] of cases) {
      await assert.rejects(
        s.conn.sendRequest('mlm/surprise', params),
        (e: { code: number; message: string }) => {
          assert.equal(e.code, MlmErrorCodes.InvalidParams);
          assert.match(e.message, re);
          return true;
        },
      );
    }
  });
});
