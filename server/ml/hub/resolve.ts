/**
 * What a user may name where a model folder is taken (`model.init`, `--init`, `mlm import --hub`):
 *   an existing folder                      used as is (a Hugging Face folder, an MLM Studio run or checkpoint)
 *   a folder of the Hugging Face cache      models--ORG--NAME (its refs/main snapshot) or snapshots/<commit>
 *   a Hub id, ORG/NAME or NAME[@REVISION]   the cached snapshot, downloaded into the cache when missing
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { snapshotOfCachePath } from './cache';
import { HubError } from './errors';
import { repoIdProblem } from './repoId';
import { fetchModel, type FetchModelOptions, type FetchedModel } from './snapshot';

export interface ModelSpec {
  repoId: string;
  revision?: string;
}

/** "ORG/NAME@REV" → { repoId, revision }; undefined when the text is not a Hub id. */
export function parseModelSpec(text: string): ModelSpec | undefined {
  const at = text.lastIndexOf('@');
  const repoId = at > 0 ? text.slice(0, at) : text;
  const revision = at > 0 ? text.slice(at + 1) : undefined;
  if (repoIdProblem(repoId) !== undefined || revision === '') return undefined;
  return revision === undefined ? { repoId } : { repoId, revision };
}

export interface ResolvedModel {
  /** The local folder to load. */
  dir: string;
  /** Set when the folder is a Hub snapshot (named by id or by its cache path). */
  hub?: Pick<FetchedModel, 'repoId' | 'commit'> & Partial<FetchedModel>;
}

/**
 * The local folder for `spec`, relative paths against `cwd`. A path that exists wins over a Hub id of the same
 * spelling (as transformers' from_pretrained). Throws HubError naming the cause when it is neither.
 */
export async function resolveModelSource(
  spec: string,
  opts: FetchModelOptions & { cwd?: string } = {},
): Promise<ResolvedModel> {
  const local = path.resolve(opts.cwd ?? process.cwd(), spec);
  if (fs.existsSync(local)) {
    const snap = snapshotOfCachePath(local);
    if (snap) return { dir: snap.dir, hub: { repoId: snap.repoId, commit: snap.commit } };
    return { dir: local };
  }
  const parsed = parseModelSpec(spec);
  if (!parsed) {
    throw new HubError(
      'InvalidId',
      `${spec} is neither an existing folder nor a Hugging Face Hub id (ORG/NAME, e.g. google-bert/bert-base-uncased)`,
    );
  }
  const fetched = await fetchModel(parsed.repoId, { ...opts, revision: opts.revision ?? parsed.revision });
  return { dir: fetched.dir, hub: fetched };
}
