/**
 * A model by Hub id, as a local folder: the snapshot of the id's revision in the Hugging Face cache, with what
 * this product needs (config.json, the tokenizer files, safetensors weights — one file or the shards of an
 * index) downloaded when missing. Python's cache is used as is; HF_HUB_OFFLINE=1 or an unreachable Hub fall
 * back to the cached snapshot, with a clear error when it lacks something.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cachedSnapshot,
  hubCacheDir,
  isOfflineMode,
  linkBlob,
  repoCacheDir,
  tagCacheDir,
  writeRef,
  type Env,
} from './cache';
import { downloadToCache, fileMetadata, getJson, type FileMetadata, type HubConnection } from './download';
import { HubError } from './errors';
import { isNetworkError } from './http';
import { COMMIT_HASH, checkRepoId, checkRevision } from './repoId';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** Tokenizer files fetched when the repo has them (vocab.json/merges.txt only without a tokenizer.json). */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'added_tokens.json',
];
const SLOW_TOKENIZER_FILES = ['vocab.json', 'merges.txt'];
const OTHER_WEIGHTS = [
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
  'tf_model.h5',
  'flax_model.msgpack',
  'model.ckpt.index',
  'rust_model.ot',
];

export interface ModelProgress {
  repoId: string;
  /** The file being downloaded now. */
  file: string;
  /** Bytes of all files to download that are on disk, and their total. */
  received: number;
  total: number;
}

export interface FetchModelOptions {
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HOME, HF_HUB_OFFLINE… are read from here (default process.env). */
  env?: Env;
  signal?: AbortSignal;
  /** Per request: headers, and then each silence between body chunks (default 30 s). */
  timeoutMs?: number;
  onProgress?: (p: ModelProgress) => void;
  onLog?: (level: 'info' | 'warn', message: string) => void;
}

export interface FetchedModel {
  repoId: string;
  revision: string;
  commit: string;
  /** The snapshot folder: a Hugging Face model folder (its files are symlinks into blobs/). */
  dir: string;
  /** Files downloaded now (empty when everything came from the cache). */
  downloaded: string[];
  bytesDownloaded: number;
  /** Why the Hub was not asked (offline mode, unreachable), when it was not. */
  offlineReason?: string;
}

/** The token huggingface_hub would send: HF_TOKEN, else the one `huggingface-cli login` saved. */
export function hubToken(env: Env): string | undefined {
  const direct = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (direct) return direct.trim();
  const home =
    env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(env.HOME || '', '.cache'), 'huggingface');
  const file = env.HF_TOKEN_PATH || path.join(home, 'token');
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

export function hubEndpoint(env: Env): string {
  return (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** What a local model folder lacks for this product (config, weights, tokenizer), or undefined when complete. */
export function snapshotProblem(dir: string): string | undefined {
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  if (!has('config.json')) return 'config.json';
  if (has('model.safetensors.index.json')) {
    try {
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as {
        weight_map?: Record<string, string>;
      };
      const missing = [...new Set(Object.values(index.weight_map ?? {}))].filter((f) => !has(f));
      if (missing.length) return missing.join(', ');
    } catch {
      return 'a readable model.safetensors.index.json';
    }
  } else if (!has('model.safetensors')) {
    return 'model.safetensors';
  }
  if (!has('tokenizer.json') && !has('vocab.txt')) return 'tokenizer.json (or vocab.txt)';
  return undefined;
}

interface Sibling {
  rfilename: string;
  size?: number;
}

/** The files to fetch out of a repo's file list, or the error saying why none of its weights can be used. */
export function filesToFetch(repoId: string, revision: string, siblings: string[]): string[] {
  const has = new Set(siblings);
  if (!has.has('config.json')) {
    throw new HubError(
      'NotFound',
      `${repoId}@${revision} has no config.json: it is not a transformers model (its files: ${siblings.slice(0, 8).join(', ')})`,
    );
  }
  const files = ['config.json'];
  if (has.has('model.safetensors')) files.push('model.safetensors');
  else if (has.has('model.safetensors.index.json')) files.push('model.safetensors.index.json');
  else {
    const others = OTHER_WEIGHTS.filter((f) => has.has(f));
    throw new HubError(
      'NoUsableWeights',
      `${repoId}@${revision} has no safetensors weights${others.length ? ` (only ${others.join(', ')})` : ''}. ` +
        `Pickle files are not loaded (they can run code). The Hub's conversion bot often opened a pull request ` +
        `"Adding safetensors variant of this model": pass its revision (e.g. --revision refs/pr/1), or convert once ` +
        `in Python: AutoModelForMaskedLM.from_pretrained('${repoId}').save_pretrained(DIR, safe_serialization=True) ` +
        `and import DIR`,
    );
  }
  for (const f of TOKENIZER_FILES) if (has.has(f)) files.push(f);
  if (!has.has('tokenizer.json')) for (const f of SLOW_TOKENIZER_FILES) if (has.has(f)) files.push(f);
  return files;
}

function shardsOf(indexFile: string): string[] {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as typeof index;
  } catch (err) {
    throw new HubError('Corrupt', `${indexFile} is not valid JSON (${(err as Error).message})`);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') {
    throw new HubError('Corrupt', `${indexFile} has no "weight_map"`);
  }
  return [...new Set(Object.values(index.weight_map))].sort();
}

function fromCache(cacheDir: string, repoId: string, revision: string, reason: string): FetchedModel {
  const snap = cachedSnapshot(cacheDir, repoId, revision);
  if (!snap) {
    throw new HubError(
      'NotCached',
      `${repoId}@${revision} is not in the Hugging Face cache (${cacheDir}) and ${reason}. ` +
        `Connect and run again${reason.includes('HF_HUB_OFFLINE') ? ' without HF_HUB_OFFLINE' : ''}, or see "mlm models" for the cached models`,
    );
  }
  const missing = snapshotProblem(snap.dir);
  if (missing) {
    throw new HubError(
      'NotCached',
      `the cached snapshot ${snap.dir} of ${repoId}@${revision} lacks ${missing}, and ${reason}. ` +
        `Connect and run again to download it`,
    );
  }
  return {
    repoId,
    revision,
    commit: snap.commit,
    dir: snap.dir,
    downloaded: [],
    bytesDownloaded: 0,
    offlineReason: reason,
  };
}

/**
 * The local snapshot folder of a Hub model, downloading into the cache what it lacks. Throws HubError
 * (NotFound, Unauthorized, NoUsableWeights, NotCached, Network, Corrupt, Cancelled) naming what to do.
 */
export async function fetchModel(repoIdIn: string, opts: FetchModelOptions = {}): Promise<FetchedModel> {
  const env = opts.env ?? process.env;
  const repoId = checkRepoId(repoIdIn);
  const revision = checkRevision(opts.revision ?? 'main');
  const cacheDir = hubCacheDir(env);
  const repoDir = repoCacheDir(cacheDir, repoId);
  if (isOfflineMode(env)) return fromCache(cacheDir, repoId, revision, 'HF_HUB_OFFLINE is set');
  const conn: HubConnection = {
    endpoint: hubEndpoint(env),
    token: hubToken(env),
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 30_000,
  };
  // A commit already complete in the cache needs no request at all (as hf_hub_download's shortcut).
  if (COMMIT_HASH.test(revision)) {
    const snap = cachedSnapshot(cacheDir, repoId, revision);
    if (snap && !snapshotProblem(snap.dir)) {
      return { repoId, revision, commit: revision, dir: snap.dir, downloaded: [], bytesDownloaded: 0 };
    }
  }
  let info: { sha?: unknown; siblings?: unknown };
  try {
    info = (await getJson(
      conn,
      `/api/models/${repoId}/revision/${encodeURIComponent(revision)}?blobs=true`,
      `${repoId}@${revision}`,
    )) as typeof info;
  } catch (err) {
    if (!isNetworkError(err)) throw err;
    const reason = `the Hub cannot be reached (${(err as Error).message})`;
    const model = fromCache(cacheDir, repoId, revision, reason);
    opts.onLog?.('warn', `${reason}; using the cached snapshot ${model.commit}`);
    return model;
  }
  const commit = typeof info.sha === 'string' && COMMIT_HASH.test(info.sha) ? info.sha : undefined;
  if (!commit || !Array.isArray(info.siblings)) {
    throw new HubError(
      'Network',
      `${conn.endpoint} answered model info without a commit or a file list: is HF_ENDPOINT a Hugging Face Hub?`,
    );
  }
  const siblings = (info.siblings as Sibling[]).map((s) => s.rfilename).filter((s) => typeof s === 'string');
  const dir = path.join(repoDir, 'snapshots', commit);
  const wanted = filesToFetch(repoId, revision, siblings);
  const present = (f: string): boolean => fs.existsSync(path.join(dir, ...f.split('/')));

  tagCacheDir(cacheDir);
  const downloaded: string[] = [];
  let bytesDownloaded = 0;
  const fetchAll = async (files: string[]): Promise<void> => {
    const metas: Array<{ file: string; meta: FileMetadata }> = [];
    for (const file of files.filter((f) => !present(f))) {
      const meta = await fileMetadata(conn, repoId, commit, file, repoDir);
      // A blob another revision (or Python) already fetched is only linked.
      if (fs.existsSync(path.join(repoDir, 'blobs', meta.etag))) linkBlob(repoDir, commit, file, meta.etag);
      else metas.push({ file, meta });
    }
    const total = metas.reduce((s, m) => s + m.meta.size, 0);
    let done = 0;
    for (const { file, meta } of metas) {
      const start = done;
      opts.onProgress?.({ repoId, file, received: start, total });
      await downloadToCache(conn, repoDir, file, meta, (p) =>
        opts.onProgress?.({ repoId, file, received: start + p.received, total }),
      );
      done += meta.size;
      opts.onProgress?.({ repoId, file, received: done, total });
      downloaded.push(file);
      bytesDownloaded += meta.size;
    }
  };
  await fetchAll(wanted);
  if (wanted.includes('model.safetensors.index.json')) {
    await fetchAll(shardsOf(path.join(dir, 'model.safetensors.index.json')));
  }
  writeRef(repoDir, revision, commit);
  return { repoId, revision, commit, dir, downloaded, bytesDownloaded };
}
