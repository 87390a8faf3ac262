/**
 * The CLI wired to the Hub (spawned, against the local Hub server): mlm import --hub with its progress, mlm models,
 * mlm train --init ORG/NAME, offline runs from the cache, and the errors a user sees.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, fixtureRepos, tempCache } from '../ml/hub/fixtureRepos';
import { startHubServer, type HubServer } from '../ml/hub/hubServer';
import { runCli } from '../../runCli';

const CORPUS = path.join(ROOT, 'test', 'fixtures', 'protocol-corpus');

/** `mlm ...args` in `cwd` with the Hugging Face variables of the outer environment cleared, then `env`. */
async function mlm(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const cleared = {
    HF_HUB_CACHE: '',
    HUGGINGFACE_HUB_CACHE: '',
    HF_HUB_OFFLINE: '',
    HF_TOKEN: '',
    HF_ENDPOINT: '',
  };
  const r = await runCli(args, { cwd, env: { ...cleared, ...env } });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

let server: HubServer;
let cache: ReturnType<typeof tempCache>;
before(async () => {
  server = await startHubServer(fixtureRepos());
  cache = tempCache(server.endpoint);
});
after(async () => {
  await server.close();
  cache.cleanup();
});

void describe('mlm and the Hub', () => {
  void test('import --hub downloads with progress into the cache; models lists it; offline reuses it', async () => {
    const out = path.join(cache.env.HOME, 'run-a');
    const r = await mlm(['import', '--hub', 'org/tiny-bert', '--out', out], cache.env, cache.env.HOME);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /downloading org\/tiny-bert .*done \(5 files, 494 KB\)/s);
    assert.match(r.err, /org\/tiny-bert @ a+1: .*models--org--tiny-bert\/snapshots\/a+1/);
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-0', 'model.safetensors')));

    const models = await mlm(['models', '--json'], cache.env, cache.env.HOME);
    assert.equal(models.code, 0, models.err);
    const list = JSON.parse(models.out) as Array<{ id: string; usable: boolean; family: string }>;
    assert.deepEqual(
      list.map((m) => [m.id, m.family, m.usable]),
      [['org/tiny-bert', 'BERT', true]],
    );

    const before = server.requests.length;
    const offline = await mlm(
      ['import', '--hub', 'org/tiny-bert', '--out', path.join(cache.env.HOME, 'run-b')],
      { ...cache.env, HF_HUB_OFFLINE: '1' },
      cache.env.HOME,
    );
    assert.equal(offline.code, 0, offline.err);
    assert.equal(server.requests.length, before, 'offline: no request');

    const fill = await mlm(
      [
        'fill',
        '--model',
        'org/tiny-bert',
        '--backend',
        'cpu',
        '--json',
        '--top-k',
        '3',
        'the cat sat on the [MASK] .',
      ],
      { ...cache.env, HF_HUB_OFFLINE: '1' },
      cache.env.HOME,
    );
    assert.equal(fill.code, 0, fill.err);
    const answer = JSON.parse(fill.out) as { masks: Array<Array<{ token: string }>> };
    assert.equal(answer.masks[0].length, 3);
  });

  void test('train --init ORG/NAME continues pretraining from the Hub model', async () => {
    const r = await mlm(
      [
        'train',
        '--init',
        'org/tiny-bert',
        '--corpus',
        CORPUS,
        '--max-steps',
        '2',
        '--batch-size',
        '2',
        '--seq-len',
        '16',
        '--backend',
        'cpu',
        '--out',
        path.join(cache.env.HOME, 'runs'),
        '--quiet',
      ],
      cache.env,
      cache.env.HOME,
    );
    assert.equal(r.code, 0, r.err + r.out);
    const runs = fs.readdirSync(path.join(cache.env.HOME, 'runs'));
    assert.equal(runs.length, 1);
    assert.match(runs[0], /-tiny-bert-ft$/);
    const config = JSON.parse(
      fs.readFileSync(path.join(cache.env.HOME, 'runs', runs[0], 'config.json'), 'utf8'),
    ) as {
      model: { init: string };
    };
    assert.equal(config.model.init, 'org/tiny-bert');
  });

  void test('finetune --init ORG/NAME fine-tunes the Hub model (from the cache)', async () => {
    const data = path.join(cache.env.HOME, 'train.csv');
    fs.writeFileSync(
      data,
      [
        'text,label',
        ...Array.from({ length: 12 }, (_, i) => `the cat sat on mat number ${i},${i % 2 ? 'odd' : 'even'}`),
      ].join('\n'),
    );
    const out = path.join(cache.env.HOME, 'ft');
    const r = await mlm(
      [
        'finetune',
        '--init',
        'org/tiny-bert',
        '--train',
        data,
        '--out',
        out,
        '--max-steps',
        '2',
        '--batch-size',
        '4',
        '--backend',
        'cpu',
        '--quiet',
      ],
      cache.env,
      cache.env.HOME,
    );
    assert.equal(r.code, 0, r.err + r.out);
    assert.ok(fs.readdirSync(out).length > 0);
  });

  const failures: Array<[string, string[], number, RegExp]> = [
    [
      'pickle-only weights',
      ['import', '--hub', 'org/pickle-only', '--out', 'x'],
      1,
      /no safetensors weights.*refs\/pr\/1/,
    ],
    ['an unknown repo', ['import', '--hub', 'org/missing', '--out', 'x'], 1, /no such model on the Hub/],
    [
      'a bad id',
      ['import', '--hub', 'a/b/c', '--out', 'x'],
      2,
      /neither an existing folder nor a Hugging Face Hub id/,
    ],
    [
      '--hf and --hub together',
      ['import', '--hf', '.', '--hub', 'org/x', '--out', 'x'],
      2,
      /either --hf DIR or --hub ID/,
    ],
    ['--init that is neither', ['train', '--init', './nope/x/y'], 2, /neither|does not exist/],
  ];
  for (const [label, args, code, pattern] of failures) {
    void test(`${label}: exit ${code} with the cause`, async () => {
      const r = await mlm(args, cache.env, cache.env.HOME);
      assert.equal(r.code, code, r.err);
      assert.match(r.err, pattern);
    });
  }
});
