/**
 * One file from the Hub into the cache, as huggingface_hub's hf_hub_download does: HEAD the resolve URL for
 * the commit, ETag and size (X-Linked-* for LFS files, whose Location is a CDN), then stream the blob to
 * blobs/<etag>.incomplete — resuming from its length with a Range request, after a cut connection or a
 * previous interrupted run — check it against the size and the hash the ETag is (sha256 for LFS files, the
 * git blob sha1 otherwise), rename it to blobs/<etag> and link snapshots/<commit>/<file> to it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { linkBlob, markMissing, snapshotDir } from './cache';
import { HubError } from './errors';
import { followRelative, header, raiseForStatus, type HttpOptions } from './http';

export interface HubConnection {
  /** e.g. https://huggingface.co (HF_ENDPOINT), no trailing slash. */
  endpoint: string;
  /** HF_TOKEN, sent as a Bearer token to the endpoint (never to a CDN on another host). */
  token?: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

export interface FileMetadata {
  commit: string;
  etag: string;
  size: number;
  /** Where the bytes are: the resolve URL itself, or a CDN URL for LFS files. */
  location: string;
}

export function hubHeaders(conn: HubConnection, url: string): Record<string, string> {
  const h: Record<string, string> = {
    'user-agent': `mlm-studio; node/${process.versions.node}`,
    'accept-encoding': 'identity',
  };
  if (conn.token && new URL(url).host === new URL(conn.endpoint).host)
    h.authorization = `Bearer ${conn.token}`;
  return h;
}

export function httpOptions(
  conn: HubConnection,
  url: string,
  extra: Record<string, string> = {},
): HttpOptions {
  return { headers: { ...hubHeaders(conn, url), ...extra }, signal: conn.signal, timeoutMs: conn.timeoutMs };
}

export function resolveUrl(endpoint: string, repoId: string, revision: string, file: string): string {
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${encodedFile}`;
}

/** ETag header → blob name: W/"x" and "x" become x (huggingface_hub's _normalize_etag). */
export function normalizeEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}

/** HEAD of a file at a commit: its commit, ETag, size and download location. 404 is recorded in .no_exist/. */
export async function fileMetadata(
  conn: HubConnection,
  repoId: string,
  commit: string,
  file: string,
  repoDir: string,
): Promise<FileMetadata> {
  const url = resolveUrl(conn.endpoint, repoId, commit, file);
  const res = await followRelative('HEAD', url, httpOptions(conn, url));
  res.body.resume();
  if (res.status === 404) {
    const c = header(res, 'x-repo-commit');
    if (c) markMissing(repoDir, c, file);
  }
  await raiseForStatus(res, `${repoId}/${file}`, Boolean(conn.token));
  const linkedEtag = header(res, 'x-linked-etag');
  const etag = normalizeEtag(linkedEtag ?? header(res, 'etag'));
  const redirected = res.status >= 300;
  const sizeText = header(res, 'x-linked-size') ?? (redirected ? undefined : header(res, 'content-length'));
  const size = sizeText === undefined ? NaN : Number(sizeText);
  const commitHeader = header(res, 'x-repo-commit');
  if (!commitHeader || !etag || !Number.isInteger(size)) {
    const missing = !commitHeader
      ? 'X-Repo-Commit'
      : !etag
        ? 'ETag'
        : 'a size (X-Linked-Size / Content-Length)';
    throw new HubError(
      'Network',
      `${url} answered without ${missing}: the endpoint does not look like a Hugging Face Hub ` +
        `(check HF_ENDPOINT, a proxy or a firewall)`,
    );
  }
  const location = redirected ? new URL(header(res, 'location') as string, res.url).toString() : res.url;
  return { commit: commitHeader, etag, size, location };
}

/** The hash an ETag stands for: sha256 (LFS files), git blob sha1 (regular files), or none (opaque ETags). */
function expectedHash(etag: string): 'sha256' | 'gitsha1' | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return 'sha256';
  if (/^[0-9a-f]{40}$/.test(etag)) return 'gitsha1';
  return undefined;
}

async function hashFile(file: string, kind: 'sha256' | 'gitsha1', size: number): Promise<string> {
  const h = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'gitsha1') h.update(`blob ${size}\0`);
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface ByteProgress {
  /** Bytes of this file now on disk (including what an earlier run left). */
  received: number;
  total: number;
}

const MAX_RETRIES = 5;

/** Streams `location` into `incomplete` from its current length; resolves when the server's body ends. */
async function fetchInto(
  conn: HubConnection,
  location: string,
  incomplete: string,
  meta: FileMetadata,
  onBytes: (p: ByteProgress) => void,
): Promise<void> {
  let have = fs.existsSync(incomplete) ? fs.statSync(incomplete).size : 0;
  if (have > meta.size) {
    fs.truncateSync(incomplete, 0);
    have = 0;
  }
  if (have === meta.size) return;
  const res = await followRelative(
    'GET',
    location,
    httpOptions(conn, location, have > 0 ? { range: `bytes=${have}-` } : {}),
  );
  if (res.status === 416) {
    // The server cannot serve that range (the partial file is stale): start over.
    res.body.resume();
    fs.truncateSync(incomplete, 0);
    return;
  }
  await raiseForStatus(res, location, Boolean(conn.token));
  if (have > 0 && res.status === 200) have = 0; // Range ignored: the full body follows
  // Each chunk is written before the next is read, so a cut connection keeps every byte that arrived.
  const fd = fs.openSync(incomplete, have > 0 ? 'r+' : 'w');
  let received = have;
  // Cancelling ends the body at once (a stalled server would otherwise hold it until the timeout).
  const onAbort = (): void => {
    res.body.destroy(new HubError('Cancelled', 'the download was cancelled; run it again to resume'));
  };
  conn.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (have === 0) fs.ftruncateSync(fd, 0);
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      fs.writeSync(fd, buf, 0, buf.length, received);
      received += buf.length;
      onBytes({ received, total: meta.size });
    }
  } catch (err) {
    if (err instanceof HubError) throw err;
    throw new HubError(
      'Network',
      `the connection to ${new URL(location).host} was cut (${(err as Error).message})`,
    );
  } finally {
    conn.signal?.removeEventListener('abort', onAbort);
    fs.closeSync(fd);
  }
}

/**
 * Makes blobs/<etag> hold the file (downloading what is missing, resuming a partial download, retrying a cut
 * connection up to 5 times while bytes keep arriving), checks it and links it into snapshots/<commit>/.
 * Returns the snapshot path of the file.
 */
export async function downloadToCache(
  conn: HubConnection,
  repoDir: string,
  file: string,
  meta: FileMetadata,
  onBytes: (p: ByteProgress) => void,
): Promise<string> {
  const blob = path.join(repoDir, 'blobs', meta.etag);
  if (!fs.existsSync(blob)) {
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.mkdirSync(path.join(snapshotDir(repoDir, meta.commit)), { recursive: true });
    const incomplete = `${blob}.incomplete`;
    let retries = MAX_RETRIES;
    for (;;) {
      const before = fs.existsSync(incomplete) ? fs.statSync(incomplete).size : 0;
      try {
        await fetchInto(conn, meta.location, incomplete, meta, onBytes);
      } catch (err) {
        if (conn.signal?.aborted)
          throw new HubError('Cancelled', `the download of ${file} was cancelled; run it again to resume`);
        if (!(err instanceof HubError) || err.code !== 'Network') throw err;
        const after = fs.existsSync(incomplete) ? fs.statSync(incomplete).size : 0;
        retries = after > before ? MAX_RETRIES : retries - 1;
        if (retries <= 0) {
          throw new HubError(
            'Network',
            `${file}: ${err.message}; ${after} of ${meta.size} bytes are kept in ${incomplete} — run the same command again to resume`,
          );
        }
        continue;
      }
      const have = fs.existsSync(incomplete) ? fs.statSync(incomplete).size : 0;
      if (have === meta.size) break;
      if (have > meta.size || --retries <= 0) {
        fs.rmSync(incomplete, { force: true });
        throw new HubError(
          'Corrupt',
          `${file}: the Hub reported ${meta.size} bytes but ${have} arrived; the partial file was removed — run again`,
        );
      }
    }
    const kind = expectedHash(meta.etag);
    if (kind) {
      const got = await hashFile(incomplete, kind, meta.size);
      if (got !== meta.etag) {
        fs.rmSync(incomplete, { force: true });
        throw new HubError(
          'Corrupt',
          `${file}: the downloaded bytes have ${kind === 'sha256' ? 'sha256' : 'git sha1'} ${got} but the Hub ` +
            `reported ${meta.etag}; the corrupted download was removed — run again (if it repeats, a proxy alters the file)`,
        );
      }
    }
    fs.renameSync(incomplete, blob);
  }
  return linkBlob(repoDir, meta.commit, file, meta.etag);
}

/** GET of a JSON API route (e.g. /api/models/ID/revision/REV), errors mapped to HubErrors. */
export async function getJson(conn: HubConnection, route: string, what: string): Promise<unknown> {
  const url = `${conn.endpoint}${route}`;
  const res = await followRelative('GET', url, httpOptions(conn, url, { accept: 'application/json' }));
  await raiseForStatus(res, what, Boolean(conn.token));
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HubError(
      'Network',
      `${url} did not answer JSON: the endpoint does not look like a Hugging Face Hub (check HF_ENDPOINT)`,
    );
  }
}
