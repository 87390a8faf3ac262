/** Fixture Hub repos for the hub tests, built from the tiny BERT fixture (test/fixtures/hf-tiny-bert). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { HubError } from '../../../../../server/ml/hub';
import type { FixtureRepo } from './hubServer';

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
export const PYTHON_CACHE = path.join(ROOT, 'test', 'fixtures', 'hub', 'python-cache');

export const COMMIT_A = 'a'.repeat(39) + '1';
export const COMMIT_B = 'b'.repeat(39) + '2';

/** The tiny BERT's files as a Hub repo holds them; `root` is the repository (the e2e bundle passes its own). */
export function tinyBertFiles(root = ROOT): Record<string, Buffer> {
  const read = (f: string): Buffer => fs.readFileSync(path.join(root, 'test', 'fixtures', 'hf-tiny-bert', f));
  const files: Record<string, Buffer> = {};
  for (const f of [
    'config.json',
    'model.safetensors',
    'vocab.txt',
    'tokenizer_config.json',
    'special_tokens_map.json',
  ]) {
    files[f] = read(f);
  }
  files['README.md'] = Buffer.from('# tiny bert\n');
  return files;
}

/** The same weights split into two shards with an index, as save_pretrained(max_shard_size=…) writes them. */
function shardedFiles(root: string): Record<string, Buffer> {
  const base = tinyBertFiles(root);
  const st = base['model.safetensors'];
  const headerLen = Number(st.readBigUInt64LE(0));
  const header = JSON.parse(st.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const parts = [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)];
  const out: Record<string, Buffer> = { ...base };
  delete out['model.safetensors'];
  const weightMap: Record<string, string> = {};
  parts.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const h: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    const blobs: Buffer[] = [];
    let off = 0;
    for (const n of part.sort()) {
      const e = header[n];
      const bytes = st.subarray(8 + headerLen + e.data_offsets[0], 8 + headerLen + e.data_offsets[1]);
      h[n] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + bytes.length] };
      blobs.push(bytes);
      off += bytes.length;
      weightMap[n] = file;
    }
    let json = Buffer.from(JSON.stringify(h));
    json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    out[file] = Buffer.concat([len, json, ...blobs]);
  });
  out['model.safetensors.index.json'] = Buffer.from(
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2),
  );
  return out;
}

/** The tiny RoBERTa (byte-level BPE tokenizer.json, <mask>) as a Hub repo holds it. */
export function tinyRobertaFiles(root = ROOT): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    files[f] = fs.readFileSync(path.join(root, 'test', 'fixtures', 'hf-tiny-roberta', f));
  }
  return files;
}

export function fixtureRepos(root = ROOT): Record<string, FixtureRepo> {
  const files = tinyBertFiles(root);
  const v1 = {
    ...files,
    'config.json': Buffer.from(
      files['config.json'].toString().replace('"use_cache": true', '"use_cache": false'),
    ),
  };
  return {
    'org/tiny-bert': {
      commits: { [COMMIT_A]: files, [COMMIT_B]: v1 },
      refs: { main: COMMIT_A, v1: COMMIT_B },
      aliases: ['tiny-bert-old'],
    },
    'org/gated-bert': { commits: { [COMMIT_A]: files }, refs: { main: COMMIT_A }, gatedToken: 'hf_secret' },
    'org/pickle-only': {
      commits: {
        [COMMIT_A]: {
          'config.json': files['config.json'],
          'pytorch_model.bin': Buffer.from('not really a pickle'),
          'vocab.txt': files['vocab.txt'],
        },
      },
      refs: { main: COMMIT_A },
    },
    'org/sharded-bert': { commits: { [COMMIT_A]: shardedFiles(root) }, refs: { main: COMMIT_A } },
    'org/tiny-roberta': { commits: { [COMMIT_A]: tinyRobertaFiles(root) }, refs: { main: COMMIT_A } },
  };
}

/** A fresh empty cache folder and an environment pointing at it (and at the server). */
export function tempCache(endpoint?: string): {
  env: Record<string, string>;
  cacheDir: string;
  cleanup: () => void;
} {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-hub-'));
  const cacheDir = path.join(home, 'hub');
  const env: Record<string, string> = { HOME: home, HF_HOME: home };
  if (endpoint) env.HF_ENDPOINT = endpoint;
  return { env, cacheDir, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Awaits a rejection with a HubError of `code` whose message matches `pattern`. */
export async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof HubError, `expected a HubError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}
