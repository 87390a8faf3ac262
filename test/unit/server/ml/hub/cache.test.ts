/**
 * The Hugging Face cache as Python's huggingface_hub writes it (test/fixtures/hub/python-cache, made by
 * make_python_cache.py): env resolution of the cache folder, the listing of `mlm models`, ids and cache paths
 * resolved to snapshots, and a Python-fetched snapshot reused by the client without a download.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { importHfCheckpoint } from '../../../../../server/ml/hf';
import {
  fetchModel,
  hubCacheDir,
  isOfflineMode,
  listCachedModels,
  parseModelSpec,
  resolveModelSource,
  HubError,
} from '../../../../../server/ml/hub';
import { PYTHON_CACHE, tinyBertFiles } from './fixtureRepos';
import { startHubServer } from './hubServer';

const BERT_COMMIT = '5f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b';
const BERT_SNAPSHOT = path.join(
  PYTHON_CACHE,
  'models--hf-internal-testing--tiny-bert',
  'snapshots',
  BERT_COMMIT,
);

void describe('hub cache folder (huggingface_hub constants)', () => {
  const home = os.homedir();
  const cases: Array<[string, Record<string, string>, string]> = [
    ['default', { HOME: '/h' }, '/h/.cache/huggingface/hub'],
    ['XDG_CACHE_HOME', { HOME: '/h', XDG_CACHE_HOME: '/x' }, '/x/huggingface/hub'],
    ['HF_HOME', { HOME: '/h', HF_HOME: '/hf', XDG_CACHE_HOME: '/x' }, '/hf/hub'],
    ['HF_HOME with ~', { HOME: '/h', HF_HOME: '~/hfh' }, '/h/hfh/hub'],
    ['HUGGINGFACE_HUB_CACHE', { HOME: '/h', HF_HOME: '/hf', HUGGINGFACE_HUB_CACHE: '/old' }, '/old'],
    ['HF_HUB_CACHE wins', { HOME: '/h', HUGGINGFACE_HUB_CACHE: '/old', HF_HUB_CACHE: '/new' }, '/new'],
    ['HF_HUB_CACHE with $VAR', { HOME: '/h', BASE: '/b', HF_HUB_CACHE: '$BASE/c' }, '/b/c'],
  ];
  for (const [label, env, want] of cases) {
    void test(label, () => assert.equal(hubCacheDir(env), want));
  }
  void test('no HOME falls back to the user home', () =>
    assert.equal(hubCacheDir({}), path.join(home, '.cache/huggingface/hub')));
  const offline: Array<[Record<string, string>, boolean]> = [
    [{}, false],
    [{ HF_HUB_OFFLINE: '1' }, true],
    [{ HF_HUB_OFFLINE: 'true' }, true],
    [{ HF_HUB_OFFLINE: '0' }, false],
    [{ TRANSFORMERS_OFFLINE: 'yes' }, true],
  ];
  for (const [env, want] of offline) {
    void test(`offline ${JSON.stringify(env)} → ${want}`, () => assert.equal(isOfflineMode(env), want));
  }
});

void describe('model specs', () => {
  const specs: Array<[string, unknown]> = [
    ['bert-base-uncased', { repoId: 'bert-base-uncased' }],
    ['google-bert/bert-base-uncased', { repoId: 'google-bert/bert-base-uncased' }],
    ['FacebookAI/roberta-base@v1.0', { repoId: 'FacebookAI/roberta-base', revision: 'v1.0' }],
    ['a/b/c', undefined],
    ['./runs/x', undefined],
    ['org/name@', undefined],
    ['-bad/name', undefined],
  ];
  for (const [text, want] of specs) void test(text, () => assert.deepEqual(parseModelSpec(text), want));
});

void describe('a cache written by Python', () => {
  void test('mlm models lists the masked-LM models with revision, size, family and usability', () => {
    const models = listCachedModels({ HF_HUB_CACHE: PYTHON_CACHE });
    assert.deepEqual(
      models.map((m) => [m.id, m.revision, m.family, m.usable]),
      [
        ['FacebookAI/tiny-roberta-config', 'main', 'RoBERTa', false],
        ['hf-internal-testing/tiny-bert', 'main', 'BERT', true],
      ],
    );
    const bert = models[1];
    const files = tinyBertFiles();
    const expected = [
      'config.json',
      'model.safetensors',
      'vocab.txt',
      'tokenizer_config.json',
      'special_tokens_map.json',
    ]
      .map((f) => files[f].length)
      .reduce((a, b) => a + b, 0);
    assert.equal(bert.size, expected);
    assert.equal(bert.commit, BERT_COMMIT);
    assert.match(models[0].why ?? '', /lacks model.safetensors/); // a config-only snapshot
  });

  void test('an id resolves offline to the snapshot refs/main names, which imports', async () => {
    const env = { HF_HUB_CACHE: PYTHON_CACHE, HF_HUB_OFFLINE: '1' };
    const r = await resolveModelSource('hf-internal-testing/tiny-bert', { env, cwd: os.tmpdir() });
    assert.equal(r.dir, BERT_SNAPSHOT);
    assert.equal(r.hub?.commit, BERT_COMMIT);
    const ckpt = await importHfCheckpoint(r.dir);
    assert.equal(ckpt.config.hiddenSize, 64);
    assert.equal(ckpt.tokenizer.vocabSize, 745);
    // refs/refs/pr/1, as Python stores the revision "refs/pr/1"
    const pr = await resolveModelSource('hf-internal-testing/tiny-bert@refs/pr/1', { env });
    assert.equal(pr.dir, BERT_SNAPSHOT);
  });

  void test('cache folders given as paths resolve to their snapshot', async () => {
    for (const p of [path.join(PYTHON_CACHE, 'models--hf-internal-testing--tiny-bert'), BERT_SNAPSHOT]) {
      const r = await resolveModelSource(p, { env: { HF_HUB_OFFLINE: '1' } });
      assert.equal(r.dir, BERT_SNAPSHOT);
      assert.equal(r.hub?.repoId, 'hf-internal-testing/tiny-bert');
    }
  });

  void test('a plain folder is used as is; a name that is neither says so', async () => {
    const r = await resolveModelSource(path.join(PYTHON_CACHE, '..'), {});
    assert.equal(r.dir, path.resolve(PYTHON_CACHE, '..'));
    assert.equal(r.hub, undefined);
    await assert.rejects(resolveModelSource('./no/such/dir', { cwd: os.tmpdir() }), (e: unknown) => {
      assert.ok(e instanceof HubError);
      assert.match(e.message, /neither an existing folder nor a Hugging Face Hub id/);
      return true;
    });
  });

  void test('a snapshot Python fetched is reused online: only the revision is asked, nothing downloaded', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-hub-py-'));
    const server = await startHubServer({
      'hf-internal-testing/tiny-bert': {
        commits: { [BERT_COMMIT]: tinyBertFiles() },
        refs: { main: BERT_COMMIT },
      },
    });
    try {
      fs.cpSync(PYTHON_CACHE, path.join(tmp, 'hub'), { recursive: true, verbatimSymlinks: true });
      const m = await fetchModel('hf-internal-testing/tiny-bert', {
        env: { HF_HOME: tmp, HF_ENDPOINT: server.endpoint },
      });
      assert.deepEqual(m.downloaded, []);
      assert.deepEqual(
        server.requests.map((r) => r.url),
        ['/api/models/hf-internal-testing/tiny-bert/revision/main?blobs=true'],
      );
      assert.equal(
        m.dir,
        path.join(tmp, 'hub', 'models--hf-internal-testing--tiny-bert', 'snapshots', BERT_COMMIT),
      );
    } finally {
      await server.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
