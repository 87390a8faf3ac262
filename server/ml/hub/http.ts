/**
 * The few HTTP exchanges the Hub client needs, on node:http/https (streams, no buffering of weights):
 * a JSON GET, a HEAD that follows relative redirects only (as huggingface_hub does, so an LFS file's CDN
 * Location and X-Linked-* headers are seen), and a ranged GET streamed into a file. Hub errors are mapped
 * to HubErrors from the status and the X-Error-Code header, with what to do.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { HubError } from './errors';

export interface HttpOptions {
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Milliseconds to wait for the response headers (and between body chunks). */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  url: string;
  body: http.IncomingMessage;
}

/** Low-level failures that mean "the Hub is unreachable" (the caller may fall back to the cache). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

export function isNetworkError(err: unknown): boolean {
  return err instanceof HubError && err.code === 'Network';
}

function aborted(): HubError {
  return new HubError('Cancelled', 'the download was cancelled; run it again to resume where it stopped');
}

export function request(method: string, url: string, opts: HttpOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(aborted());
      return;
    }
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!lib) {
      reject(
        new HubError('Network', `${url}: only http and https endpoints are supported (check HF_ENDPOINT)`),
      );
      return;
    }
    const req = lib.request(u, { method, headers: opts.headers, signal: opts.signal }, (res) => {
      res.setTimeout(opts.timeoutMs, () =>
        res.destroy(new HubError('Network', `${u.host} stopped sending for ${opts.timeoutMs / 1000} s`)),
      );
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
    });
    req.setTimeout(opts.timeoutMs, () =>
      req.destroy(new HubError('Network', `${u.host} did not answer within ${opts.timeoutMs / 1000} s`)),
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (opts.signal?.aborted) reject(aborted());
      else if (err instanceof HubError) reject(err);
      else if (NETWORK_CODES.has(err.code ?? '')) {
        reject(new HubError('Network', `cannot reach ${u.origin} (${err.code}: ${err.message})`));
      } else reject(new HubError('Network', `request to ${url} failed: ${err.message}`));
    });
    req.end();
  });
}

export async function readBody(res: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status);

/** HEAD (or GET) following only relative redirects: an absolute Location (a CDN) is returned to the caller. */
export async function followRelative(method: string, url: string, opts: HttpOptions): Promise<HttpResponse> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await request(method, current, opts);
    const location = header(res, 'location');
    if (!isRedirect(res.status) || !location || /^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return res;
    res.body.resume();
    current = new URL(location, current).toString();
  }
  throw new HubError('Network', `${url}: too many redirects`);
}

/**
 * Throws the HubError an error response stands for (huggingface_hub's hf_raise_for_status), naming the repo
 * and what to do; returns for 2xx/3xx.
 */
export async function raiseForStatus(res: HttpResponse, what: string, tokenSent: boolean): Promise<void> {
  if (res.status < 400) return;
  const code = header(res, 'x-error-code');
  const serverMessage = header(res, 'x-error-message') ?? (await readBody(res).catch(() => '')).slice(0, 300);
  const detail = serverMessage ? ` (the Hub says: ${serverMessage.trim()})` : '';
  const tokenHint = tokenSent
    ? 'check that HF_TOKEN is valid and has read access to it'
    : 'if it is private or gated, set HF_TOKEN to a token with access (https://huggingface.co/settings/tokens)';
  if (code === 'GatedRepo') {
    throw new HubError(
      'Unauthorized',
      `${what} is gated: accept its conditions on its Hub page, then set HF_TOKEN to a token of that account${detail}`,
    );
  }
  if (code === 'RepoNotFound' || (res.status === 401 && !code)) {
    throw new HubError(
      'NotFound',
      `${what}: no such model on the Hub, or no access to it; check the id, and ${tokenHint}${detail}`,
    );
  }
  if (code === 'RevisionNotFound') {
    throw new HubError(
      'NotFound',
      `${what}: no such revision; check --revision (a branch, tag or commit)${detail}`,
    );
  }
  if (code === 'EntryNotFound' || res.status === 404) {
    throw new HubError('NotFound', `${what} was not found on the Hub${detail}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new HubError('Unauthorized', `${what}: access refused (HTTP ${res.status}); ${tokenHint}${detail}`);
  }
  if (res.status === 429) {
    throw new HubError(
      'Network',
      `${what}: the Hub is rate-limiting this machine (HTTP 429); wait a minute and retry${detail}`,
    );
  }
  throw new HubError('Network', `${what}: the Hub answered HTTP ${res.status}${detail}; retry later`);
}
