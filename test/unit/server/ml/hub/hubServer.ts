/**
 * A local HTTP server that speaks the Hugging Face Hub's model routes, for tests without internet:
 *   GET  /api/models/ORG/NAME/revision/REV        {id, sha, siblings: [{rfilename, size, blobId, lfs?}]}
 *   HEAD|GET /ORG/NAME/resolve/REV/FILE           regular files: 200 with ETag "<git blob sha1>", X-Repo-Commit,
 *                                                 Content-Length; LFS files (*.safetensors, *.bin): 302 to the CDN
 *                                                 URL (another host name) with X-Linked-Etag "<sha256>",
 *                                                 X-Linked-Size, X-Repo-Commit
 *   GET  /cdn/SHA256                              the LFS bytes, honouring Range (206 + Content-Range)
 * A renamed repo answers with a relative 307 to its new name (as the Hub does). Unknown repos: 401 RepoNotFound;
 * gated repos without the token: 401 GatedRepo; missing files: 404 EntryNotFound with X-Repo-Commit.
 * Faults for tests: cut the connection after N bytes of a CDN body (once), serve corrupted bytes.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureRepo {
  /** commit sha → files (name → bytes). */
  commits: Record<string, Record<string, Buffer>>;
  /** branch/tag → commit sha ("main" at least). */
  refs: Record<string, string>;
  /** When set, requests need "Authorization: Bearer <token>". */
  gatedToken?: string;
  /** Old names that redirect (relative 307) to this repo. */
  aliases?: string[];
}

export interface HubServerOptions {
  /** sha256 (blob) → cut the connection after this many body bytes, on the next GET of that blob only. */
  cutAfter?: Map<string, number>;
  /** sha256 (blob) → serve these bytes instead (a corrupted CDN / proxy). */
  corrupt?: Map<string, Buffer>;
  /** sha256 (blob) → send this many body bytes, then hold the connection open without sending more. */
  stallAfter?: Map<string, number>;
  /** Serve LFS blobs without Range support (200 with the full body), like a CDN that ignores Range. */
  ignoreRange?: boolean;
}

export interface LoggedRequest {
  method: string;
  url: string;
  host: string;
  range?: string;
  authorization?: string;
}

export interface HubServer {
  /** http://127.0.0.1:PORT — the endpoint (HF_ENDPOINT). */
  endpoint: string;
  /** http://127.0.0.1:PORT2 — where LFS files redirect to (another host:port, as the Hub's CDN). */
  cdn: string;
  requests: LoggedRequest[];
  options: HubServerOptions;
  close(): Promise<void>;
}

const isLfs = (name: string): boolean => /\.(safetensors|bin|h5|msgpack)$/.test(name);
export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Buffer): string =>
  createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export async function startHubServer(
  repos: Record<string, FixtureRepo>,
  options: HubServerOptions = {},
): Promise<HubServer> {
  const requests: LoggedRequest[] = [];
  const blobs = new Map<string, Buffer>();
  for (const repo of Object.values(repos)) {
    for (const files of Object.values(repo.commits)) {
      for (const [name, bytes] of Object.entries(files)) if (isLfs(name)) blobs.set(sha256(bytes), bytes);
    }
  }
  let cdnOrigin = '';

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname;
    requests.push({
      method: req.method ?? 'GET',
      url: u.pathname + u.search,
      host: req.headers.host ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    const fail = (
      status: number,
      code: string,
      message: string,
      extra: Record<string, string> = {},
    ): void => {
      res.writeHead(status, { 'X-Error-Code': code, 'X-Error-Message': message, ...extra });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ error: message }));
    };

    if (path.startsWith('/cdn/')) {
      const sha = path.slice('/cdn/'.length);
      const bytes = options.corrupt?.get(sha) ?? blobs.get(sha);
      if (!bytes) return fail(404, 'EntryNotFound', 'no such blob');
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m && !options.ignoreRange ? Number(m[1]) : 0;
      if (start > bytes.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
        return res.end();
      }
      const body = bytes.subarray(start);
      const headers: Record<string, string> = {
        'Content-Length': String(body.length),
        'Accept-Ranges': 'bytes',
      };
      if (start > 0) headers['Content-Range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
      res.writeHead(start > 0 ? 206 : 200, headers);
      if (req.method === 'HEAD') return res.end();
      const stall = options.stallAfter?.get(sha);
      if (stall !== undefined && stall < body.length) {
        res.write(body.subarray(0, stall));
        return;
      }
      const cut = options.cutAfter?.get(sha);
      if (cut !== undefined && cut < body.length) {
        options.cutAfter?.delete(sha);
        res.write(body.subarray(0, cut), () => res.destroy());
        return;
      }
      return res.end(body);
    }

    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(path);
    const resolve = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const rawId = api?.[1] ?? resolve?.[1];
    if (!rawId) return fail(404, 'NotFound', `no route ${path}`);
    const renamed = Object.entries(repos).find(([, r]) => r.aliases?.includes(rawId));
    if (renamed) {
      res.writeHead(307, { Location: u.pathname.replace(`/${rawId}/`, `/${renamed[0]}/`) + u.search });
      return res.end();
    }
    const repo = repos[rawId];
    if (!repo) return fail(401, 'RepoNotFound', 'Repository not found');
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return fail(
        401,
        'GatedRepo',
        `Access to model ${rawId} is restricted. You must have access to it and be authenticated to access it.`,
      );
    }
    const rev = decodeURIComponent((api ?? resolve)![2]);
    const commit = repo.refs[rev] ?? (repo.commits[rev] ? rev : undefined);
    if (!commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const files = repo.commits[commit];

    if (api) {
      const siblings = Object.entries(files).map(([name, bytes]) => ({
        rfilename: name,
        size: bytes.length,
        blobId: gitSha1(bytes),
        ...(isLfs(name) ? { lfs: { sha256: sha256(bytes), size: bytes.length, pointerSize: 134 } } : {}),
      }));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ id: rawId, modelId: rawId, sha: commit, siblings }));
    }
    const name = decodeURIComponent(resolve![3]);
    const bytes = files[name];
    if (!bytes) return fail(404, 'EntryNotFound', `${name} does not exist`, { 'X-Repo-Commit': commit });
    if (isLfs(name)) {
      const sha = sha256(bytes);
      res.writeHead(302, {
        Location: `${cdnOrigin}/cdn/${sha}`,
        'X-Repo-Commit': commit,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(bytes.length),
        ETag: `"${gitSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\n`))}"`,
      });
      return res.end();
    }
    res.writeHead(200, {
      'X-Repo-Commit': commit,
      ETag: `"${gitSha1(bytes)}"`,
      'Content-Length': String(bytes.length),
    });
    return res.end(req.method === 'HEAD' ? undefined : bytes);
  };
  const listen = async (): Promise<{ server: http.Server; origin: string }> => {
    const server = http.createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const hub = await listen();
  const cdn = await listen();
  cdnOrigin = cdn.origin;
  const stop = (server: http.Server): Promise<void> =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return {
    endpoint: hub.origin,
    cdn: cdn.origin,
    requests,
    options,
    close: async () => {
      await Promise.all([stop(hub.server), stop(cdn.server)]);
    },
  };
}
