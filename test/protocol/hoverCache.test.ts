/**
 * Fill-mask caching and batching over the real pipe, with a model imported from the tiny Hugging Face fixture.
 * The backend runs with MLM_TRACE_FILL_MASK=1, so every answer logs whether it came from the cache or the worker,
 * and every message to the worker logs its batch size: the tests read those lines (no timing).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { MlmErrorCodes } from '../../protocol/errors';
import type { FillMaskAtRequest, FillMaskRequest, ReplaceMaskArgs } from '../../protocol/inference';
import { continuationText } from '../../protocol/shared/wordpiece';
import { backendWithTinyBert, stopServer, TINY_BERT, type Spawned } from './harness';

interface Hover {
  contents: { kind: string; value: string };
  range: unknown;
}

const PARAGRAPHS = [
  'The cat sat on the [MASK].',
  'The dog runs in the [MASK] every morning.',
  'Birds sing in the old [MASK].',
  'The river runs to the [MASK].',
  'We water the [MASK] in the morning.',
  'The children play by the [MASK].',
];

void describe('fill-mask cache and batching over JSON-RPC', { timeout: 60_000 }, () => {
  let s: Spawned;
  let ws: string;
  const uri = (): string => `file://${path.join(ws, 'cache.txt')}`;
  let version = 1;
  let docText = PARAGRAPHS.join('\n\n');

  /** The fill-mask trace lines logged from index `since` of the recorded notifications on. */
  const logs = (since = 0): string[] =>
    s.notes.all
      .slice(since)
      .filter((n) => n.method === 'window/logMessage')
      .map((n) => (n.params as { message: string }).message)
      .filter((m) => /^fill-mask (cache hit|computed|worker batch)/.test(m));
  const hover = (line: number, character: number, cts?: CancellationTokenSource): Promise<Hover> => {
    const params = { textDocument: { uri: uri() }, position: { line, character } };
    return cts
      ? s.conn.sendRequest<Hover>('textDocument/hover', params, cts.token)
      : s.conn.sendRequest<Hover>('textDocument/hover', params);
  };
  /** Hovers on the mask of paragraph i (paragraphs are separated by blank lines). */
  const hoverParagraph = (i: number, token?: CancellationTokenSource): Promise<Hover> =>
    hover(2 * i, PARAGRAPHS[i].indexOf('[MASK]') + 1, token);
  const setText = async (text: string): Promise<void> => {
    version++;
    docText = text;
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri: uri(), version },
      contentChanges: [{ text }],
    });
  };
  const load = async (): Promise<void> => {
    await s.conn.sendRequest('mlm/loadCheckpoint', { path: TINY_BERT });
  };

  void before(async () => {
    ({ s, ws } = await backendWithTinyBert({ env: { MLM_TRACE_FILL_MASK: '1', MLM_BACKEND: 'wasm' } }));
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: uri(), languageId: 'plaintext', version, text: docText },
    });
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('a second hover on the same mask of the same version comes from the cache, unchanged', async () => {
    const since = s.notes.all.length;
    const first = await hoverParagraph(0);
    assert.match(first.contents.value, /\| 1 \| \[/, 'a prediction table');
    assert.equal(logs(since).filter((l) => l.startsWith('fill-mask worker batch')).length, 1);
    const mid = s.notes.all.length;
    assert.deepEqual(await hoverParagraph(0), first);
    assert.deepEqual(logs(mid), [`fill-mask cache hit: hover ${uri()} v${version} @0`]);
  });

  void test('an edit changes the cache key: the next hover is computed for the new version', async () => {
    const before = await hoverParagraph(1);
    // Only another paragraph changes: the hovered window text is the same, so the answer must be too.
    await setText([PARAGRAPHS[0].replace('cat', 'bird'), ...PARAGRAPHS.slice(1)].join('\n\n'));
    const since = s.notes.all.length;
    assert.deepEqual(await hoverParagraph(1), before, 'the same window text gives the same answer');
    const lines = logs(since);
    assert.ok(
      lines.some((l) => l.startsWith(`fill-mask computed: hover ${uri()} v${version} `)),
      lines.join('\n'),
    );
    assert.equal(lines.filter((l) => l.startsWith('fill-mask worker batch')).length, 1);
    assert.ok(!lines.some((l) => l.includes('cache hit')), lines.join('\n'));
  });

  void test('mlm/fillMask answers the same text from the cache until the model changes', async () => {
    const text = 'The cat sat on the [MASK] and the [MASK] sang.';
    const a = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text, topK: 4 });
    const since = s.notes.all.length;
    assert.deepEqual(await s.conn.sendRequest('mlm/fillMask', { text, topK: 4 }), a);
    assert.deepEqual(logs(since), ['fill-mask cache hit: mlm/fillMask']);
    await load(); // the same checkpoint again: a new model generation, so the cache is empty
    const mid = s.notes.all.length;
    const c = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text, topK: 4 });
    assert.deepEqual(c.masks, a.masks, 'recomputed, and equal');
    assert.ok(logs(mid).includes('fill-mask computed: mlm/fillMask'), logs(mid).join('\n'));
  });

  void test('hovers waiting behind a busy worker go as one batch; each answer equals the uncached one', async () => {
    // A long mlm/fillMask (one window per mask) keeps the worker busy while the hovers arrive.
    const long = Array.from({ length: 300 }, (_, i) => `sentence ${i} has a [MASK] in it.`).join(' ');
    const since = s.notes.all.length;
    const busy = s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text: long, topK: 1 });
    const cancelled = new CancellationTokenSource();
    const gone = hoverParagraph(2, cancelled).then(
      () => 'answered',
      (e: { code: number }) => (e.code === -32800 ? 'cancelled' : `error ${e.code}`),
    );
    const others = [0, 1, 3, 4, 5];
    const hovers = others.map((i) => hoverParagraph(i));
    cancelled.cancel();
    const batched = await Promise.all(hovers);
    assert.equal((await busy).masks.length, 300);
    assert.equal(await gone, 'cancelled', 'the cancelled hover never ran');
    const batches = logs(since)
      .map((l) => /^fill-mask worker batch #\d+: (\d+) texts, (\d+) cancelled dropped$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ texts: Number(m[1]), dropped: Number(m[2]) }));
    assert.deepEqual(
      batches,
      [
        { texts: 1, dropped: 0 },
        { texts: others.length, dropped: 1 },
      ],
      'the long request alone, then every hover together',
    );
    await load(); // empty the cache: the answers below are computed again, one at a time
    for (const [k, i] of others.entries()) {
      const mid = s.notes.all.length;
      assert.deepEqual(await hoverParagraph(i), batched[k], `paragraph ${i}`);
      assert.ok(
        logs(mid).some((l) => l.startsWith('fill-mask computed')),
        `paragraph ${i} recomputed`,
      );
    }
  });
  void test("mlm/fillMaskAt on a hovered mask: the hover's window, cache entry and edits", async () => {
    const i = 3;
    const hovered = await hoverParagraph(i);
    const since = s.notes.all.length;
    const at = await s.conn.sendRequest<FillMaskAtRequest.Result>('mlm/fillMaskAt', {
      textDocument: { uri: uri() },
      text: docText,
      position: { line: 2 * i, character: PARAGRAPHS[i].indexOf('[MASK]') + 3 },
    });
    const start = docText.indexOf(PARAGRAPHS[i]);
    assert.deepEqual(logs(since), [`fill-mask cache hit: mlm/fillMaskAt ${uri()} v${version} @${start}`]);
    assert.equal(at.target.kind, 'mask');
    // Row by row, the hover's replace link carries the edit mlm/fillMaskAt returns for that prediction.
    const links = [...hovered.contents.value.matchAll(/\(command:mlm\.replaceMask\?([^ )]+)/g)].map(
      (m) => (JSON.parse(decodeURIComponent(m[1])) as ReplaceMaskArgs[])[0],
    );
    assert.ok(links.length > 0, hovered.contents.value);
    assert.deepEqual(
      at.predictions.map((p) => ({ uri: uri(), range: p.edit.range, token: p.edit.text })),
      links,
    );
  });

  void test('mlm/fillMaskAt on a word of a document the backend does not have: that word masked', async () => {
    const text = 'The children play by the river.\n';
    const since = s.notes.all.length;
    const at = await s.conn.sendRequest<FillMaskAtRequest.Result>('mlm/fillMaskAt', {
      textDocument: { uri: 'untitled:Untitled-9' },
      text,
      position: { line: 0, character: 27 },
    });
    assert.deepEqual(at.target, {
      kind: 'word',
      range: { start: { line: 0, character: 25 }, end: { line: 0, character: 30 } },
    });
    assert.ok(logs(since).includes('fill-mask computed: mlm/fillMaskAt'), logs(since).join('\n'));
    assert.ok(at.predictions.length > 0);
    for (const p of at.predictions) {
      assert.deepEqual(p.edit.range.end, at.target.range.end, p.token);
      assert.equal(p.edit.text, continuationText(p.token) ?? p.token);
    }
    // The model saw the text with that word as a mask: mlm/fillMask on it gives the same predictions.
    const masked = text.replace('river', '[MASK]');
    const fm = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text: masked });
    assert.deepEqual(
      at.predictions.map(({ edit: _edit, ...p }) => p),
      fm.masks[0].predictions,
    );
  });

  void test('mlm/fillMaskAt rejects bad params with InvalidParams naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { textDocument: { uri: uri() }, position: { line: 0, character: 0 } },
        /text must be the document text/,
      ],
      [{ textDocument: { uri: uri() }, text: 'a', position: { line: -1, character: 0 } }, /position must be/],
      [{ text: 'a', position: { line: 0, character: 0 } }, /textDocument\.uri/],
      [{ textDocument: { uri: uri() }, text: 'a', position: { line: 0, character: 0 }, topK: 0 }, /topK/],
    ];
    for (const [params, message] of cases) {
      await assert.rejects(s.conn.sendRequest('mlm/fillMaskAt', params), {
        code: MlmErrorCodes.InvalidParams,
        message,
      });
    }
  });
});
