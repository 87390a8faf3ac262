/**
 * The Hub client without the Hub: HF_HUB_OFFLINE, an unreachable endpoint, and a commit already complete in the cache
 * (against the local Hub server of hubServer.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fetchModel } from '../../../../../server/ml/hub';
import { startHubServer, type HubServer } from './hubServer';
import { COMMIT_A, fixtureRepos, rejectsWith as rejects, tempCache } from './fixtureRepos';

let server: HubServer;
before(async () => {
  server = await startHubServer(fixtureRepos());
});
after(async () => {
  await server.close();
});

void describe('hub offline', () => {
  void test('HF_HUB_OFFLINE=1 uses the cache without a request, and says what is missing otherwise', async () => {
    const c = tempCache(server.endpoint);
    try {
      await rejects(
        fetchModel('org/tiny-bert', { env: { ...c.env, HF_HUB_OFFLINE: '1' } }),
        'NotCached',
        /not in the Hugging Face cache.*HF_HUB_OFFLINE is set.*without HF_HUB_OFFLINE/,
      );
      await fetchModel('org/tiny-bert', { env: c.env });
      const before = server.requests.length;
      const m = await fetchModel('org/tiny-bert', { env: { ...c.env, HF_HUB_OFFLINE: '1' } });
      assert.equal(server.requests.length, before, 'no request in offline mode');
      assert.equal(m.commit, COMMIT_A);
      assert.match(m.offlineReason ?? '', /HF_HUB_OFFLINE/);
      // A cached snapshot that lacks the weights (e.g. fetched by Python for the config only) is named.
      fs.rmSync(path.join(m.dir, 'model.safetensors'));
      await rejects(
        fetchModel('org/tiny-bert', { env: { ...c.env, HF_HUB_OFFLINE: '1' } }),
        'NotCached',
        /lacks model\.safetensors/,
      );
    } finally {
      c.cleanup();
    }
  });

  void test('an unreachable Hub falls back to the cached snapshot with a warning', async () => {
    const c = tempCache(server.endpoint);
    const down = await startHubServer({});
    const deadEndpoint = down.endpoint;
    await down.close();
    try {
      await rejects(
        fetchModel('org/tiny-bert', { env: { ...c.env, HF_ENDPOINT: deadEndpoint }, timeoutMs: 5000 }),
        'NotCached',
        /not in the Hugging Face cache .* the Hub cannot be reached \(cannot reach/,
      );
      await fetchModel('org/tiny-bert', { env: c.env });
      const warnings: string[] = [];
      const m = await fetchModel('org/tiny-bert', {
        env: { ...c.env, HF_ENDPOINT: deadEndpoint },
        onLog: (_l, msg) => warnings.push(msg),
      });
      assert.equal(m.commit, COMMIT_A);
      assert.match(warnings.join('\n'), /cannot be reached.*using the cached snapshot a+1/);
    } finally {
      c.cleanup();
    }
  });

  void test('a commit already complete in the cache needs no request', async () => {
    const c = tempCache(server.endpoint);
    try {
      await fetchModel('org/tiny-bert', { env: c.env });
      const before = server.requests.length;
      const m = await fetchModel('org/tiny-bert', { env: c.env, revision: COMMIT_A });
      assert.equal(server.requests.length, before);
      assert.equal(m.commit, COMMIT_A);
    } finally {
      c.cleanup();
    }
  });
});
