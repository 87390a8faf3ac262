/**
 * mlm/hubModels and mlm/useHubModel on the spawned backend, against the local Hub server (test/unit/server/ml/hub/hubServer.ts):
 * the cache listing, a download with mlm/hubProgress notifications, fill-mask and hovers answered by the Hub model
 * (status names it), the cached model reused offline, a cancelled download, and the errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { HubModelsRequest, HubProgressNotification, UseHubModelRequest } from '../../protocol/hub';
import type { FillMaskRequest, LoadCheckpointRequest } from '../../protocol/inference';
import type { ServerStatus } from '../../protocol/status';
import { fixtureRepos, tempCache, tinyBertFiles } from '../unit/server/ml/hub/fixtureRepos';
import { sha256, startHubServer, type HubServer } from '../unit/server/ml/hub/hubServer';
import {
  ROOT,
  ensureBuilt,
  initialize,
  spawnServer,
  stopServer,
  tempWorkspace,
  type Spawned,
} from './harness';

void describe('protocol: Hugging Face models', () => {
  let hub: HubServer;
  let cache: ReturnType<typeof tempCache>;
  let ws: string;
  let s: Spawned;
  const start = async (env: Record<string, string>): Promise<Spawned> => {
    const spawned = spawnServer({ env: { MLM_BACKEND: 'cpu', HF_TOKEN: '', ...env } });
    await initialize(spawned, ws);
    return spawned;
  };

  void before(async () => {
    ensureBuilt();
    hub = await startHubServer(fixtureRepos());
    cache = tempCache(hub.endpoint);
    ws = tempWorkspace();
    s = await start(cache.env);
  });
  void after(async () => {
    await stopServer(s);
    await hub.close();
    cache.cleanup();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('useHubModel downloads with progress, then fill-mask and the status use the Hub model', async () => {
    const empty = await s.conn.sendRequest<HubModelsRequest.Result>('mlm/hubModels', {});
    assert.deepEqual(empty.models, []);
    assert.equal(empty.cacheDir, cache.cacheDir);

    const since = s.notes.all.length;
    const r = await s.conn.sendRequest<UseHubModelRequest.Result>('mlm/useHubModel', {
      model: 'org/tiny-bert',
    });
    assert.equal(r.repoId, 'org/tiny-bert');
    assert.equal(r.runId, 'org/tiny-bert');
    assert.equal(r.downloaded, 5);
    assert.match(r.commit ?? '', /^a+1$/);
    const progress = s.notes.all
      .slice(since)
      .filter((n) => n.method === 'mlm/hubProgress')
      .map((n) => n.params as HubProgressNotification.Params);
    assert.ok(progress.length > 0);
    assert.equal(progress.at(-1)?.received, progress.at(-1)?.total);

    const status = await s.conn.sendRequest<ServerStatus>('mlm/status', {});
    assert.equal(status.model?.source, 'hub');
    assert.equal(status.model?.runId, 'org/tiny-bert');

    const fill = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', {
      text: 'the cat sat on the [MASK] .',
      topK: 3,
    });
    assert.equal(fill.masks[0].predictions.length, 3);
    assert.equal(fill.model.runId, 'org/tiny-bert');

    const listed = await s.conn.sendRequest<HubModelsRequest.Result>('mlm/hubModels', {});
    assert.deepEqual(
      listed.models.map((m) => [m.id, m.family, m.usable]),
      [['org/tiny-bert', 'BERT', true]],
    );
  });

  void test('a RoBERTa from the Hub: its byte-level BPE tokenizer, [MASK] and <mask> both answered, hover too', async () => {
    const r = await s.conn.sendRequest<UseHubModelRequest.Result>('mlm/useHubModel', {
      model: 'org/tiny-roberta',
    });
    assert.equal(r.runId, 'org/tiny-roberta');
    for (const text of ['The [MASK] is shining over the city.', '今天<mask>很好。']) {
      const fill = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', { text, topK: 5 });
      assert.equal(fill.model.runId, 'org/tiny-roberta');
      assert.equal(fill.masks.length, 1, text);
      const tokens = fill.masks[0].predictions.map((p) => p.token);
      assert.equal(tokens.length, 5);
      // Tokens read as words or ##pieces, never in the byte-level alphabet's space marker.
      assert.ok(
        tokens.every((t) => !t.startsWith('Ġ')),
        tokens.join(' '),
      );
      assert.ok(fill.masks[0].predictions.every((p) => !p.sequence.includes('Ġ')));
    }
    const uri = `file://${path.join(ws, 'roberta.txt')}`;
    const text = 'The <mask> is shining over the city.';
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'plaintext', version: 1, text },
    });
    // The setting says [MASK]; the hover finds the other spelling under the cursor too.
    const hover = await s.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 0, character: 6 },
    });
    assert.ok(hover, 'a hover over <mask>');
    assert.match(hover.contents.value, /command:mlm\.replaceMask/);
    assert.match(hover.contents.value, /org\/tiny\\?-roberta/); // the model label (markdown-escaped)
  });

  void test('offline, the cached model is used without a request', async () => {
    const offline = await start({ ...cache.env, HF_HUB_OFFLINE: '1' });
    try {
      const before = hub.requests.length;
      const r = await offline.conn.sendRequest<UseHubModelRequest.Result>('mlm/useHubModel', {
        model: 'org/tiny-bert',
      });
      assert.equal(r.downloaded, 0);
      assert.equal(hub.requests.length, before);
    } finally {
      await stopServer(offline);
    }
  });

  void test('a cancelled download fails as cancelled and keeps what arrived', async () => {
    const other = tempCache(hub.endpoint);
    const slow = await start(other.env);
    try {
      // The weights stall after 64 KB: the request is cancelled once those bytes are reported.
      const weights = sha256(tinyBertFiles()['model.safetensors']);
      hub.options.stallAfter = new Map([[weights, 65_536]]);
      const source = new CancellationTokenSource();
      void slow.notes
        .next<HubProgressNotification.Params>(
          'mlm/hubProgress',
          (p) => p.file === 'model.safetensors' && p.received > 0,
        )
        .then(() => source.cancel());
      await assert.rejects(
        slow.conn.sendRequest('mlm/useHubModel', { model: 'org/tiny-bert' }, source.token),
        /cancelled/i,
      );
      hub.options.stallAfter = undefined;
      const partial = fs
        .readdirSync(path.join(other.cacheDir, 'models--org--tiny-bert', 'blobs'))
        .filter((b) => b.endsWith('.incomplete'));
      assert.deepEqual(partial, [`${weights}.incomplete`], 'the partial download is kept for a resume');
      const status = await slow.conn.sendRequest<ServerStatus>('mlm/status', {});
      assert.equal(status.model, undefined, 'nothing was loaded');
    } finally {
      await stopServer(slow);
      other.cleanup();
    }
  });

  void test('Load Checkpoint takes a Hugging Face folder too: a DistilBERT answers fill-mask', async () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'hf-tiny-distilbert');
    const r = await s.conn.sendRequest<LoadCheckpointRequest.Result>('mlm/loadCheckpoint', { path: dir });
    assert.equal(r.runId, 'hf-tiny-distilbert');
    const fill = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', {
      text: 'the cat sat on the [MASK] .',
      topK: 2,
    });
    assert.equal(fill.model.runId, 'hf-tiny-distilbert');
    assert.equal(fill.masks[0].predictions.length, 2);
    // A folder that is neither a run nor a Hugging Face model says so.
    await assert.rejects(
      s.conn.sendRequest('mlm/loadCheckpoint', { path: ws }),
      (err: { code: number; message: string }) => {
        assert.equal(err.code, 1005);
        assert.match(err.message, /neither a run or checkpoint folder nor a Hugging Face model folder/);
        return true;
      },
    );
  });

  const failures: Array<[string, string, number, RegExp]> = [
    ['pickle-only weights', 'org/pickle-only', 1014, /no safetensors weights/],
    ['an unknown repo', 'org/missing', 1014, /no such model on the Hub/],
    ['a gated repo without a token', 'org/gated-bert', 1014, /gated.*HF_TOKEN/],
    ['an empty id', ' ', 1007, /needs \{ model \}/],
  ];
  for (const [label, model, code, pattern] of failures) {
    void test(`${label}: error ${code} with the cause`, async () => {
      await assert.rejects(
        s.conn.sendRequest('mlm/useHubModel', { model }),
        (err: { code: number; message: string }) => {
          assert.equal(err.code, code);
          assert.match(err.message, pattern);
          return true;
        },
      );
    });
  }
});
