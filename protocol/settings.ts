/**
 * The backend's settings: one typed object, parsed once at the edge. The client passes the raw `mlm` settings
 * section in `initializationOptions.settings` and again in `workspace/didChangeConfiguration`
 * (`{ settings: { mlm: {...} } }`). Every key read here is declared in package.json (a manifest test checks both
 * directions): `mlm.hover.maskToken`, `mlm.hover.languages`, `mlm.hover.topK`, `mlm.inference.deadlineSeconds`,
 * `mlm.inference.watchdogSeconds`, `mlm.telemetry.gpuPollSeconds`, `mlm.corpus.include`, `mlm.corpus.exclude`.
 */

export interface ServerSettings {
  hover: {
    /** Text of the mask token hovers look for. Default "[MASK]". */
    maskToken: string;
    /** Language ids whose documents get fill-mask hovers. Default ["plaintext", "markdown"]. */
    languages: string[];
    /** Rows per hover table, 1..20. Default 5. */
    topK: number;
    /** Whole-sentence completions a hover over a text with several masks shows, 0..10 (0: none). Default 3. */
    jointCompletions: number;
    /** Only these words are candidates in hovers and Fill Mask at Cursor (empty: the whole vocabulary). */
    targets: string[];
  };
  inference: {
    /** A hover or fill-mask not answered in this time gets "model busy" (MlmErrorCodes.Busy), 0.1..600. Default 5. */
    deadlineSeconds: number;
    /**
     * An inference worker that has not answered one request in this time (a model load: 10×) is terminated and
     * restarted, 1..3600. Default 60.
     */
    watchdogSeconds: number;
  };
  telemetry: {
    /** nvidia-smi / memory polling period in seconds, 1..3600. Default 2. */
    gpuPollSeconds: number;
  };
  corpus: {
    /** Globs (relative to the workspace root) of the files the live corpus index reads. Default: every .txt and .md file. */
    include: string[];
    /** Globs the index skips (.git, node_modules and .mlm are always skipped). Default []. */
    exclude: string[];
  };
}

/** `initializationOptions` of the LSP initialize request. */
export interface InitializationOptions {
  /** The raw `mlm` settings section. */
  settings?: unknown;
  /** Workspace Trust: when false, training and corpus watching are off. Default true. */
  trusted?: boolean;
  /**
   * The token of a socket backend (`mlm serve --socket`, printed at its start or read from its --token-file). A socket
   * backend answers an `initialize` without the right token with MlmErrorCodes.Unauthorized and closes the
   * connection; stdio and node-ipc backends (spawned by their one client) ignore it.
   */
  token?: string;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  hover: {
    maskToken: '[MASK]',
    languages: ['plaintext', 'markdown'],
    topK: 5,
    jointCompletions: 3,
    targets: [],
  },
  inference: { deadlineSeconds: 5, watchdogSeconds: 60 },
  telemetry: { gpuPollSeconds: 2 },
  corpus: { include: ['**/*.txt', '**/*.md'], exclude: [] },
};

export interface ParsedSettings {
  settings: ServerSettings;
  /** One line per ignored value: "mlm.hover.topK must be an integer in 1..20, got 0; using 5". */
  errors: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates raw settings (unknown shape), fills defaults; bad values fall back to the default with an error line. */
export function parseServerSettings(raw: unknown): ParsedSettings {
  const errors: string[] = [];
  const root = isRecord(raw) && isRecord(raw.mlm) ? raw.mlm : isRecord(raw) ? raw : {};
  const hover = isRecord(root.hover) ? root.hover : {};
  const inference = isRecord(root.inference) ? root.inference : {};
  const telemetry = isRecord(root.telemetry) ? root.telemetry : {};
  const corpus = isRecord(root.corpus) ? root.corpus : {};
  const d = DEFAULT_SETTINGS;

  const pick = <T>(key: string, value: unknown, ok: (v: unknown) => v is T, rule: string, def: T): T => {
    if (value === undefined) return def;
    if (ok(value)) return value;
    errors.push(`mlm.${key} must be ${rule}, got ${JSON.stringify(value)}; using ${JSON.stringify(def)}`);
    return def;
  };
  const intIn =
    (lo: number, hi: number) =>
    (v: unknown): v is number =>
      typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  const numIn =
    (lo: number, hi: number) =>
    (v: unknown): v is number =>
      typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
  const maskToken = (v: unknown): v is string =>
    typeof v === 'string' && v.trim().length > 0 && v.length <= 32 && !/\s/.test(v);
  const languages = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);
  const globs = languages;
  const targetWords = (v: unknown): v is string[] =>
    Array.isArray(v) &&
    v.length <= 1000 &&
    v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 100 && !/\s/.test(x));

  return {
    settings: {
      hover: {
        maskToken: pick(
          'hover.maskToken',
          hover.maskToken,
          maskToken,
          'a non-empty token without spaces (≤ 32 chars)',
          d.hover.maskToken,
        ),
        languages: pick(
          'hover.languages',
          hover.languages,
          languages,
          'an array of language ids',
          d.hover.languages,
        ),
        topK: pick('hover.topK', hover.topK, intIn(1, 20), 'an integer in 1..20', d.hover.topK),
        jointCompletions: pick(
          'hover.jointCompletions',
          hover.jointCompletions,
          intIn(0, 10),
          'an integer in 0..10',
          d.hover.jointCompletions,
        ),
        targets: pick(
          'hover.targets',
          hover.targets,
          targetWords,
          'an array of at most 1000 words without spaces',
          d.hover.targets,
        ),
      },
      inference: {
        deadlineSeconds: pick(
          'inference.deadlineSeconds',
          inference.deadlineSeconds,
          numIn(0.1, 600),
          'a number of seconds in 0.1..600',
          d.inference.deadlineSeconds,
        ),
        watchdogSeconds: pick(
          'inference.watchdogSeconds',
          inference.watchdogSeconds,
          numIn(1, 3600),
          'a number of seconds in 1..3600',
          d.inference.watchdogSeconds,
        ),
      },
      telemetry: {
        gpuPollSeconds: pick(
          'telemetry.gpuPollSeconds',
          telemetry.gpuPollSeconds,
          numIn(1, 3600),
          'a number of seconds in 1..3600',
          d.telemetry.gpuPollSeconds,
        ),
      },
      corpus: {
        include: pick('corpus.include', corpus.include, globs, 'an array of glob patterns', d.corpus.include),
        exclude: pick('corpus.exclude', corpus.exclude, globs, 'an array of glob patterns', d.corpus.exclude),
      },
    },
    errors,
  };
}
