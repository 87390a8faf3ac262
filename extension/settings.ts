/**
 * The client-side `mlm.*` settings (the backend's own part is parsed by protocol/settings.ts on the server).
 * Parsed once from the raw configuration section; nothing else reads raw configuration. Pure: no `vscode`.
 */
import path from 'node:path';

/** Where a remote backend (`mlm serve --socket`) listens. */
export interface RemoteAddress {
  host: string;
  port: number;
}

export interface ClientSettings {
  /** Node binary that runs the backend; undefined = the extension host's own (process.execPath). */
  runtime: string | undefined;
  /** EMA smoothing of dashboard curves, 0..0.99. */
  smoothing: number;
  /** Hovering a selection in plaintext/markdown shows the task model's label and probabilities. */
  classifyHover: boolean;
  /** "local": spawn the backend; "remote": attach to `mlm serve --socket` at `address`. */
  mode: 'local' | 'remote';
  /** mlm.server.address parsed; undefined when empty or invalid (remote mode then asks for one). */
  address: RemoteAddress | undefined;
  /** The surprise lens (extension/surprise/lens.ts). */
  surprise: SurpriseSettings;
}

export interface SurpriseSettings {
  /** Language ids whose documents have the lens on without the command. Default none. */
  languages: string[];
  /** Words less likely than this are marked (at most the least likely 10 % of the scored words). Default 0.01. */
  threshold: number;
  /** Also list surprising words in the Problems panel. Default false. */
  problems: boolean;
  /** Words less likely than this get a Problems entry (when `problems` is on). Default 0.001. */
  problemThreshold: number;
}

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  runtime: undefined,
  smoothing: 0.6,
  classifyHover: true,
  mode: 'local',
  address: undefined,
  surprise: { languages: [], threshold: 0.01, problems: false, problemThreshold: 0.001 },
};

/** "host:port" or "[ipv6]:port" → the address, or a sentence saying what is wrong. */
export function parseRemoteAddress(text: string): RemoteAddress | string {
  const m = /^\s*(?:\[([^\]]+)\]|([^\s:[\]]+)):(\d{1,5})\s*$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    return `"${text}" is not host:port (e.g. 127.0.0.1:7000, gpu-box:7000 or [::1]:7000; port 1..65535)`;
  }
  return { host: m[1] ?? m[2], port };
}

/** The address as the user writes it (IPv6 hosts in brackets). */
export function formatRemoteAddress(a: RemoteAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export interface ParsedClientSettings {
  settings: ClientSettings;
  /** One line per ignored value, naming the setting, the rule, the value and the fallback. */
  errors: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `raw` is the `mlm` section as an object: `{ server: { runtime, mode, address }, dashboard: { smoothing }, classify: { hover } }`. */
export function parseClientSettings(raw: unknown): ParsedClientSettings {
  const errors: string[] = [];
  const root = isRecord(raw) ? raw : {};
  const server = isRecord(root.server) ? root.server : {};
  const dashboard = isRecord(root.dashboard) ? root.dashboard : {};
  const classify = isRecord(root.classify) ? root.classify : {};
  const d = DEFAULT_CLIENT_SETTINGS;

  let runtime = d.runtime;
  const r = server.runtime;
  if (typeof r === 'string' && r.trim() !== '') {
    if (path.isAbsolute(r.trim())) runtime = r.trim();
    else
      errors.push(
        `mlm.server.runtime must be an absolute path to a Node.js binary, got ${JSON.stringify(r)}; using the extension host's own Node`,
      );
  } else if (r !== undefined && r !== null && r !== '') {
    errors.push(
      `mlm.server.runtime must be a string, got ${JSON.stringify(r)}; using the extension host's own Node`,
    );
  }

  let smoothing = d.smoothing;
  const s = dashboard.smoothing;
  if (s !== undefined) {
    if (typeof s === 'number' && Number.isFinite(s) && s >= 0 && s <= 0.99) smoothing = s;
    else
      errors.push(
        `mlm.dashboard.smoothing must be a number in 0..0.99, got ${JSON.stringify(s)}; using ${d.smoothing}`,
      );
  }
  let classifyHover = d.classifyHover;
  const h = classify.hover;
  if (typeof h === 'boolean') classifyHover = h;
  else if (h !== undefined && h !== null)
    errors.push(
      `mlm.classify.hover must be true or false, got ${JSON.stringify(h)}; using ${d.classifyHover}`,
    );
  let mode = d.mode;
  if (server.mode === 'local' || server.mode === 'remote') mode = server.mode;
  else if (server.mode !== undefined && server.mode !== null)
    errors.push(
      `mlm.server.mode must be "local" or "remote", got ${JSON.stringify(server.mode)}; using "local"`,
    );

  let address = d.address;
  const a = server.address;
  if (typeof a === 'string' && a.trim() !== '') {
    const parsed = parseRemoteAddress(a);
    if (typeof parsed === 'string') errors.push(`mlm.server.address: ${parsed}`);
    else address = parsed;
  } else if (a !== undefined && a !== null && a !== '') {
    errors.push(`mlm.server.address must be a string "host:port", got ${JSON.stringify(a)}`);
  }
  const surprise = parseSurprise(isRecord(root.surprise) ? root.surprise : {}, errors);
  return { settings: { runtime, smoothing, mode, address, classifyHover, surprise }, errors };
}

function parseSurprise(raw: Record<string, unknown>, errors: string[]): SurpriseSettings {
  const d = DEFAULT_CLIENT_SETTINGS.surprise;
  const probability = (key: 'threshold' | 'problemThreshold'): number => {
    const v = raw[key];
    if (v === undefined || v === null) return d[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1) return v;
    errors.push(
      `mlm.surprise.${key} must be a probability in (0, 1], got ${JSON.stringify(v)}; using ${d[key]}`,
    );
    return d[key];
  };
  let languages = d.languages;
  if (Array.isArray(raw.languages) && raw.languages.every((x) => typeof x === 'string' && x.length > 0))
    languages = raw.languages as string[];
  else if (raw.languages !== undefined && raw.languages !== null)
    errors.push(
      `mlm.surprise.languages must be an array of language ids, got ${JSON.stringify(raw.languages)}; using []`,
    );
  let problems = d.problems;
  if (typeof raw.problems === 'boolean') problems = raw.problems;
  else if (raw.problems !== undefined && raw.problems !== null)
    errors.push(
      `mlm.surprise.problems must be true or false, got ${JSON.stringify(raw.problems)}; using false`,
    );
  return {
    languages,
    threshold: probability('threshold'),
    problems,
    problemThreshold: probability('problemThreshold'),
  };
}
