/**
 * The client-side `mlm.*` settings (the backend's own part is parsed by protocol/settings.ts on the server).
 * Parsed once from the raw configuration section; nothing else reads raw configuration. Pure: no `vscode`.
 */
import path from 'node:path';

export interface ClientSettings {
  /** Node binary that runs the backend; undefined = the extension host's own (process.execPath). */
  runtime: string | undefined;
  /** EMA smoothing of dashboard curves, 0..0.99. */
  smoothing: number;
  /** Hovering a selection in plaintext/markdown shows the task model's label and probabilities. */
  classifyHover: boolean;
}

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  runtime: undefined,
  smoothing: 0.6,
  classifyHover: true,
};

export interface ParsedClientSettings {
  settings: ClientSettings;
  /** One line per ignored value, naming the setting, the rule, the value and the fallback. */
  errors: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `raw` is the `mlm` section as an object: `{ server: { runtime }, dashboard: { smoothing }, classify: { hover } }`. */
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
  return { settings: { runtime, smoothing, classifyHover }, errors };
}
