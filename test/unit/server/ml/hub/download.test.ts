/**
 * The Hub client against a real local HTTP server speaking the Hub's routes (hubServer.ts):
 * download into the huggingface_hub cache layout, resume after a cut connection and across runs, a corrupted blob
 * rejected, gated repos, pickle-only repos, renamed repos, shards, revisions (offline: offline.test.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fetchModel, type ModelProgress } from '../../../../../server/ml/hub';
import { sha256, gitSha1, startHubServer, type HubServer } from './hubServer';
import {
  COMMIT_A,
  COMMIT_B,
  fixtureRepos,
  rejectsWith as rejects,
  tempCache,
  tinyBertFiles,
} from './fixtureRepos';

const files = tinyBertFiles();
const WEIGHTS_SHA = sha256(files['model.safetensors']);

let server: HubServer;
before(async () => {
  server = await startHubServer(fixtureRepos());
});
after(async () => {
  await server.close();
});

void describe('hub download into the cache', () => {
  void test('writes blobs, relative snapshot symlinks and refs/main as huggingface_hub does; a second fetch downloads nothing', async () => {
    const c = tempCache(server.endpoint);
    try {
      const progress: ModelProgress[] = [];
      const m = await fetchModel('org/tiny-bert', { env: c.env, onProgress: (p) => progress.push(p) });
      const repoDir = path.join(c.cacheDir, 'models--org--tiny-bert');
      assert.equal(m.commit, COMMIT_A);
      assert.equal(m.dir, path.join(repoDir, 'snapshots', COMMIT_A));
      assert.deepEqual([...m.downloaded].sort(), [
        'config.json',
        'model.safetensors',
        'special_tokens_map.json',
        'tokenizer_config.json',
        'vocab.txt',
      ]);
      assert.equal(fs.readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8'), COMMIT_A);
      // LFS files are named by sha256, regular files by their git blob sha1; pointers are relative symlinks.
      assert.equal(fs.readlinkSync(path.join(m.dir, 'model.safetensors')), `../../blobs/${WEIGHTS_SHA}`);
      assert.equal(
        fs.readlinkSync(path.join(m.dir, 'config.json')),
        `../../blobs/${gitSha1(files['config.json'])}`,
      );
      assert.deepEqual(fs.readFileSync(path.join(m.dir, 'model.safetensors')), files['model.safetensors']);
      assert.ok(fs.existsSync(path.join(c.cacheDir, 'CACHEDIR.TAG')));
      assert.ok(!fs.readdirSync(path.join(repoDir, 'blobs')).some((b) => b.endsWith('.incomplete')));
      // Progress: monotonic, ending at the total of the downloaded bytes.
      const total = m.bytesDownloaded;
      assert.ok(progress.every((p) => p.total === total));
      assert.ok(progress.every((p, i) => i === 0 || p.received >= progress[i - 1].received));
      assert.equal(progress.at(-1)?.received, total);

      const before = server.requests.length;
      const again = await fetchModel('org/tiny-bert', { env: c.env });
      assert.deepEqual(again.downloaded, []);
      const asked = server.requests.slice(before).map((r) => r.url);
      assert.deepEqual(
        asked,
        [`/api/models/org/tiny-bert/revision/main?blobs=true`],
        'only the revision is resolved',
      );
    } finally {
      c.cleanup();
    }
  });

  void test('a cut connection resumes with a Range request in the same run', async () => {
    const c = tempCache(server.endpoint);
    server.options.cutAfter = new Map([[WEIGHTS_SHA, 100_000]]);
    try {
      const before = server.requests.length;
      const m = await fetchModel('org/tiny-bert', { env: c.env });
      assert.deepEqual(fs.readFileSync(path.join(m.dir, 'model.safetensors')), files['model.safetensors']);
      const ranges = server.requests
        .slice(before)
        .filter((r) => r.url === `/cdn/${WEIGHTS_SHA}`)
        .map((r) => r.range);
      assert.equal(ranges.length, 2);
      assert.equal(ranges[0], undefined);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= 100_000, `resumed at ${ranges[1]}`);
    } finally {
      server.options.cutAfter = undefined;
      c.cleanup();
    }
  });

  void test('a partial download left by an interrupted run is resumed from its length', async () => {
    const c = tempCache(server.endpoint);
    try {
      const blobs = path.join(c.cacheDir, 'models--org--tiny-bert', 'blobs');
      fs.mkdirSync(blobs, { recursive: true });
      fs.writeFileSync(
        path.join(blobs, `${WEIGHTS_SHA}.incomplete`),
        files['model.safetensors'].subarray(0, 4096),
      );
      const before = server.requests.length;
      const m = await fetchModel('org/tiny-bert', { env: c.env });
      assert.deepEqual(fs.readFileSync(path.join(m.dir, 'model.safetensors')), files['model.safetensors']);
      const cdn = server.requests.slice(before).filter((r) => r.url.startsWith('/cdn/'));
      assert.deepEqual(
        cdn.map((r) => r.range),
        ['bytes=4096-'],
      );
    } finally {
      c.cleanup();
    }
  });

  void test('a server that ignores Range gets the whole file again, not a doubled one', async () => {
    const c = tempCache(server.endpoint);
    server.options.ignoreRange = true;
    try {
      const blobs = path.join(c.cacheDir, 'models--org--tiny-bert', 'blobs');
      fs.mkdirSync(blobs, { recursive: true });
      fs.writeFileSync(
        path.join(blobs, `${WEIGHTS_SHA}.incomplete`),
        files['model.safetensors'].subarray(0, 4096),
      );
      const m = await fetchModel('org/tiny-bert', { env: c.env });
      assert.deepEqual(fs.readFileSync(path.join(m.dir, 'model.safetensors')), files['model.safetensors']);
    } finally {
      server.options.ignoreRange = false;
      c.cleanup();
    }
  });

  void test('a corrupted blob is rejected and removed; nothing is linked', async () => {
    const c = tempCache(server.endpoint);
    const bad = Buffer.from(files['model.safetensors']);
    bad[1000] ^= 0xff;
    server.options.corrupt = new Map([[WEIGHTS_SHA, bad]]);
    try {
      await rejects(fetchModel('org/tiny-bert', { env: c.env }), 'Corrupt', /sha256 .* but the Hub reported/);
      const repoDir = path.join(c.cacheDir, 'models--org--tiny-bert');
      assert.deepEqual(
        fs.readdirSync(path.join(repoDir, 'blobs')).filter((b) => b.startsWith(WEIGHTS_SHA)),
        [],
        'neither the blob nor a partial file remains',
      );
      assert.ok(!fs.existsSync(path.join(repoDir, 'snapshots', COMMIT_A, 'model.safetensors')));
      assert.ok(!fs.existsSync(path.join(repoDir, 'refs', 'main')), 'the ref is written only once complete');
    } finally {
      server.options.corrupt = undefined;
      c.cleanup();
    }
  });

  void test('the token goes to the Hub, never to the CDN; a gated repo without it names HF_TOKEN', async () => {
    const c = tempCache(server.endpoint);
    try {
      await rejects(fetchModel('org/gated-bert', { env: c.env }), 'Unauthorized', /gated.*HF_TOKEN/);
      const before = server.requests.length;
      await fetchModel('org/gated-bert', { env: { ...c.env, HF_TOKEN: 'hf_secret' } });
      const reqs = server.requests.slice(before);
      const hubHost = new URL(server.endpoint).host;
      assert.ok(reqs.filter((r) => r.host === hubHost).every((r) => r.authorization === 'Bearer hf_secret'));
      const cdnReqs = reqs.filter((r) => r.host !== hubHost);
      assert.ok(cdnReqs.length > 0 && cdnReqs.every((r) => r.authorization === undefined));
    } finally {
      c.cleanup();
    }
  });

  void test('the token saved by huggingface-cli login (HF_HOME/token) is used', async () => {
    const c = tempCache(server.endpoint);
    try {
      fs.writeFileSync(path.join(c.env.HF_HOME, 'token'), 'hf_secret\n');
      const m = await fetchModel('org/gated-bert', { env: c.env });
      assert.equal(m.commit, COMMIT_A);
    } finally {
      c.cleanup();
    }
  });

  const failures: Array<[string, string, string, RegExp]> = [
    [
      'pickle-only weights',
      'org/pickle-only',
      'NoUsableWeights',
      /only pytorch_model\.bin.*--revision refs\/pr\/1.*safe_serialization/,
    ],
    ['an unknown repo', 'org/nope', 'NotFound', /no such model on the Hub.*HF_TOKEN/],
    ['an invalid id', 'org/has--dashes', 'InvalidId', /cannot contain "--"/],
  ];
  for (const [label, id, code, pattern] of failures) {
    void test(`${label} fails with ${code}`, async () => {
      const c = tempCache(server.endpoint);
      try {
        await rejects(fetchModel(id, { env: c.env }), code, pattern);
      } finally {
        c.cleanup();
      }
    });
  }

  void test('an unknown revision names --revision', async () => {
    const c = tempCache(server.endpoint);
    try {
      await rejects(
        fetchModel('org/tiny-bert', { env: c.env, revision: 'nope' }),
        'NotFound',
        /no such revision.*--revision/,
      );
    } finally {
      c.cleanup();
    }
  });

  void test('a tag resolves to its commit and is recorded in refs/', async () => {
    const c = tempCache(server.endpoint);
    try {
      const m = await fetchModel('org/tiny-bert', { env: c.env, revision: 'v1' });
      assert.equal(m.commit, COMMIT_B);
      assert.equal(
        fs.readFileSync(path.join(c.cacheDir, 'models--org--tiny-bert', 'refs', 'v1'), 'utf8'),
        COMMIT_B,
      );
      assert.match(fs.readFileSync(path.join(m.dir, 'config.json'), 'utf8'), /"use_cache": false/);
      // The weights are the same blob as main's: a second revision reuses it.
      const mainModel = await fetchModel('org/tiny-bert', { env: c.env });
      assert.ok(!mainModel.downloaded.includes('model.safetensors'));
    } finally {
      c.cleanup();
    }
  });

  void test('a renamed repo is followed through the relative redirect', async () => {
    const c = tempCache(server.endpoint);
    try {
      const m = await fetchModel('tiny-bert-old', { env: c.env });
      assert.equal(m.commit, COMMIT_A);
      assert.ok(fs.existsSync(path.join(m.dir, 'model.safetensors')));
    } finally {
      c.cleanup();
    }
  });

  void test('a sharded checkpoint brings its index and every shard', async () => {
    const c = tempCache(server.endpoint);
    try {
      const m = await fetchModel('org/sharded-bert', { env: c.env });
      for (const f of [
        'model.safetensors.index.json',
        'model-00001-of-00002.safetensors',
        'model-00002-of-00002.safetensors',
      ]) {
        assert.ok(fs.existsSync(path.join(m.dir, f)), f);
      }
    } finally {
      c.cleanup();
    }
  });
});
