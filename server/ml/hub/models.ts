/**
 * The masked-LM models of the Hugging Face cache (`mlm models`, the VS Code model picker): id, revision,
 * size, family, and whether this product can use the cached snapshot (and if not, why).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { familyOfConfig } from '../hf/families';
import { hubCacheDir, scanCache, type CachedRevision, type Env } from './cache';
import { snapshotProblem } from './snapshot';

export interface CachedModel {
  id: string;
  /** "main" (or another ref) when a ref points at the snapshot, else the short commit. */
  revision: string;
  commit: string;
  dir: string;
  /** Bytes on disk of the whole repo (all its snapshots' blobs). */
  size: number;
  modelType: string;
  /** The family's name (BERT, RoBERTa…) or the raw model_type. */
  family: string;
  usable: boolean;
  /** Why the snapshot cannot be used, when it cannot. */
  why?: string;
}

/** The snapshot to show for a repo: the one refs/main names, else the most recently modified. */
function pickRevision(revisions: CachedRevision[]): CachedRevision | undefined {
  return (
    revisions.find((r) => r.refs.includes('main')) ??
    revisions.find((r) => r.refs.length > 0) ??
    [...revisions].sort((a, b) => b.modified - a.modified)[0]
  );
}

/** Masked-LM models in the cache, sorted by id; models of other kinds (decoders, datasets) are left out. */
export function listCachedModels(env: Env = process.env, cacheDir = hubCacheDir(env)): CachedModel[] {
  const out: CachedModel[] = [];
  for (const repo of scanCache(cacheDir)) {
    const rev = pickRevision(repo.revisions);
    if (!rev) continue;
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(fs.readFileSync(path.join(rev.dir, 'config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      continue; // no (readable) config.json: not a transformers model snapshot
    }
    const fam = familyOfConfig(config);
    if (!fam.maskedLm) continue;
    const missing = snapshotProblem(rev.dir);
    const why = fam.usable
      ? missing && `the cached snapshot lacks ${missing} (download it: mlm import --hub ${repo.id})`
      : fam.why;
    out.push({
      id: repo.id,
      revision: rev.refs.includes('main') ? 'main' : (rev.refs[0] ?? rev.commit.slice(0, 12)),
      commit: rev.commit,
      dir: rev.dir,
      size: repo.size,
      modelType: fam.modelType,
      family: fam.family?.name ?? fam.modelType,
      usable: fam.usable && !missing,
      ...(why ? { why } : {}),
    });
  }
  return out;
}
