/**
 * The Hugging Face Hub cache, in exactly the layout huggingface_hub reads and writes, so models fetched by Python
 * are used here without a download and the other way round:
 *
 *   $HF_HUB_CACHE (or $HUGGINGFACE_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub)
 *     models--ORG--NAME/
 *       blobs/<etag>                    file contents, named by the Hub's ETag (sha256 for LFS files, git sha1 else)
 *       refs/<revision>                 the commit hash a branch or tag pointed at when last resolved
 *       snapshots/<commit>/<file>       relative symlinks ../../blobs/<etag> (copies where symlinks fail)
 *       .no_exist/<commit>/<file>       empty: the file does not exist at that commit
 *     .locks/models--ORG--NAME/<etag>.lock
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicWrite';
import { COMMIT_HASH, checkRevision, repoFolderName, repoIdFromFolder } from './repoId';

export type Env = Readonly<Record<string, string | undefined>>;

/** Expands a leading ~ and $VAR / ${VAR} like Python's os.path.expanduser(os.path.expandvars(...)). */
function expand(p: string, env: Env): string {
  const vars = p.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string | undefined, b: string | undefined) => {
    const v = env[(a ?? b) as string];
    return v === undefined ? m : v;
  });
  return vars === '~' || vars.startsWith('~/') ? path.join(env.HOME || os.homedir(), vars.slice(1)) : vars;
}

/** The Hub cache folder huggingface_hub uses under this environment (constants.HF_HUB_CACHE). */
export function hubCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return path.resolve(expand(explicit, env));
  const xdg = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  const home = env.HF_HOME ? expand(env.HF_HOME, env) : path.join(expand(xdg, env), 'huggingface');
  return path.resolve(home, 'hub');
}

/** HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set to 1/ON/YES/TRUE, as huggingface_hub reads it. */
export function isOfflineMode(env: Env = process.env): boolean {
  const v = (env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE || '').toUpperCase();
  return ['1', 'ON', 'YES', 'TRUE'].includes(v);
}

export function repoCacheDir(cacheDir: string, repoId: string): string {
  return path.join(cacheDir, repoFolderName(repoId));
}

/** The commit a revision stands for in the cache: a commit hash as is, a branch or tag through refs/. */
export function cachedCommit(repoDir: string, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  const ref = path.join(repoDir, 'refs', checkRevision(revision));
  try {
    const commit = fs.readFileSync(ref, 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

export function snapshotDir(repoDir: string, commit: string): string {
  return path.join(repoDir, 'snapshots', commit);
}

/** Records that `revision` (a branch or tag) resolved to `commit`, atomically (what Python's refs/ hold). */
export function writeRef(repoDir: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const ref = path.join(repoDir, 'refs', checkRevision(revision));
  try {
    if (fs.readFileSync(ref, 'utf8') === commit) return;
  } catch {
    // absent: written below
  }
  fs.mkdirSync(path.dirname(ref), { recursive: true });
  writeFileAtomic(ref, commit);
}

/** True when `file` is known not to exist at `commit` (.no_exist/, written by huggingface_hub on a 404). */
export function cachedAsMissing(repoDir: string, commit: string, file: string): boolean {
  return fs.existsSync(path.join(repoDir, '.no_exist', commit, file));
}

export function markMissing(repoDir: string, commit: string, file: string): void {
  const p = path.join(repoDir, '.no_exist', commit, file);
  try {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.closeSync(fs.openSync(p, 'a'));
  } catch {
    // best effort, as in huggingface_hub: a read-only cache still works
  }
}

/**
 * Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (huggingface_hub's _create_symlink);
 * where symlinks are not allowed (Windows without developer mode) the blob is copied.
 */
export function linkBlob(repoDir: string, commit: string, file: string, etag: string): string {
  const blob = path.join(repoDir, 'blobs', etag);
  const pointer = path.join(snapshotDir(repoDir, commit), ...file.split('/'));
  fs.mkdirSync(path.dirname(pointer), { recursive: true });
  if (fs.existsSync(pointer)) return pointer;
  try {
    fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return pointer;
    fs.copyFileSync(blob, pointer);
  }
  return pointer;
}

/** CACHEDIR.TAG at the cache root (as huggingface_hub writes it) so backup tools skip the cache. */
export function tagCacheDir(cacheDir: string): void {
  const tag = path.join(cacheDir, 'CACHEDIR.TAG');
  if (fs.existsSync(tag)) return;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(
      tag,
      'Signature: 8a477f597d28d172789f06886806bc55\n' +
        '# This file is a cache directory tag created by huggingface_hub.\n' +
        '# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n',
    );
  } catch {
    // best effort
  }
}

export interface CachedRevision {
  commit: string;
  /** Branches and tags pointing at this commit (refs/). */
  refs: string[];
  dir: string;
  /** Files of the snapshot, '/'-separated relative paths. */
  files: string[];
  /** Bytes of the distinct blobs the snapshot's files point at. */
  size: number;
  /** Newest modification time of the snapshot's blobs (ms). */
  modified: number;
}

export interface CachedRepo {
  id: string;
  dir: string;
  revisions: CachedRevision[];
  /** Bytes of all blobs of the repo. */
  size: number;
}

function walkFiles(dir: string, prefix = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walkFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

/** The refs of a repo folder: revision name → commit (nested refs such as refs/pr/1 included). */
function readRefs(repoDir: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const name of walkFiles(path.join(repoDir, 'refs'))) {
    if (name.includes('.tmp')) continue;
    try {
      refs.set(name, fs.readFileSync(path.join(repoDir, 'refs', ...name.split('/')), 'utf8').trim());
    } catch {
      // raced with a writer: skip
    }
  }
  return refs;
}

/** One model repo folder of the cache (huggingface_hub's _scan_cached_repo); broken symlinks are left out. */
export function scanRepo(cacheDir: string, repoId: string): CachedRepo | undefined {
  const dir = repoCacheDir(cacheDir, repoId);
  const snapshots = path.join(dir, 'snapshots');
  if (!fs.existsSync(snapshots)) return undefined;
  const refs = readRefs(dir);
  const revisions: CachedRevision[] = [];
  const allBlobs = new Map<string, number>();
  for (const commit of fs.readdirSync(snapshots).sort()) {
    const revDir = path.join(snapshots, commit);
    if (!fs.statSync(revDir).isDirectory()) continue;
    const blobs = new Map<string, fs.Stats>();
    const files: string[] = [];
    for (const f of walkFiles(revDir)) {
      const p = path.join(revDir, ...f.split('/'));
      let real: string;
      let st: fs.Stats;
      try {
        real = fs.realpathSync(p);
        st = fs.statSync(real);
      } catch {
        continue; // broken symlink: the blob was deleted
      }
      files.push(f);
      blobs.set(real, st);
      allBlobs.set(real, st.size);
    }
    let size = 0;
    let modified = 0;
    for (const st of blobs.values()) {
      size += st.size;
      modified = Math.max(modified, st.mtimeMs);
    }
    revisions.push({
      commit,
      refs: [...refs].filter(([, c]) => c === commit).map(([r]) => r),
      dir: revDir,
      files,
      size,
      modified: modified || fs.statSync(revDir).mtimeMs,
    });
  }
  let size = 0;
  for (const s of allBlobs.values()) size += s;
  return { id: repoId, dir, revisions, size };
}

/** Every model repo in the cache, by id. */
export function scanCache(cacheDir: string): CachedRepo[] {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir);
  } catch {
    return [];
  }
  const repos: CachedRepo[] = [];
  for (const name of names.sort()) {
    const id = repoIdFromFolder(name);
    if (!id) continue;
    const repo = scanRepo(cacheDir, id);
    if (repo) repos.push(repo);
  }
  return repos;
}

/**
 * The snapshot a revision stands for in the cache: through refs/ for a branch or tag, directly for a commit.
 * Undefined when the revision was never resolved here or its snapshot folder is gone.
 */
export function cachedSnapshot(
  cacheDir: string,
  repoId: string,
  revision = 'main',
): { commit: string; dir: string } | undefined {
  const repoDir = repoCacheDir(cacheDir, repoId);
  const commit = cachedCommit(repoDir, revision);
  if (!commit) return undefined;
  const dir = snapshotDir(repoDir, commit);
  return fs.existsSync(dir) ? { commit, dir } : undefined;
}

/**
 * A path into the cache given by hand: a repo folder (models--ORG--NAME, its refs/main snapshot) or a snapshot
 * folder inside one. Returns the repo id and snapshot folder, or undefined for any other path.
 */
export function snapshotOfCachePath(p: string): { repoId: string; commit: string; dir: string } | undefined {
  const abs = path.resolve(p);
  const base = path.basename(abs);
  const repoId = repoIdFromFolder(base);
  if (repoId) {
    const snap = cachedSnapshot(path.dirname(abs), repoId, 'main');
    if (snap) return { repoId, ...snap };
    const repo = scanRepo(path.dirname(abs), repoId);
    const newest = repo?.revisions.sort((a, b) => b.modified - a.modified)[0];
    return newest ? { repoId, commit: newest.commit, dir: newest.dir } : undefined;
  }
  const parent = path.dirname(abs);
  const grand = path.dirname(parent);
  const grandId = repoIdFromFolder(path.basename(grand));
  if (grandId && path.basename(parent) === 'snapshots' && COMMIT_HASH.test(base)) {
    return { repoId: grandId, commit: base, dir: abs };
  }
  return undefined;
}
