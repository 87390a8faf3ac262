/**
 * The run configuration (`*.mlm.json`): typed form, defaults and validation. The JSON Schema in
 * runConfig.schema.json is the single source of truth for fields, defaults and ranges; VS Code uses it
 * for squiggles (contributes.jsonValidation) and parseRunConfig validates with the same schema (ajv),
 * then adds the cross-field checks a schema cannot express.
 */
import Ajv, { type ErrorObject } from 'ajv';
import schema from './runConfig.schema.json';
import type { BackendChoice, ExampleMode, LrSchedule, ModelArch, ModelPreset } from './shared/choices';
import { taskSectionErrors, type RunConfigTask } from './runConfigTask';
import { chooseRecipe, perMinuteValues, type ResolvedRecipe } from './runRecipe';

export type { RunConfigTask } from './runConfigTask';

export interface ModelOverrides {
  hiddenSize?: number;
  numHiddenLayers?: number;
  numAttentionHeads?: number;
  intermediateSize?: number;
  maxPositionEmbeddings?: number;
  embeddingDim?: number;
  gruUnits?: number;
}

export interface MaskingConfig {
  probability: number;
  maskFraction: number;
  randomFraction: number;
  wholeWord: boolean;
}

/** The run config with every default filled in; this is what a run saves as config.json. */
export interface ResolvedRunConfig {
  $schema?: string;
  name?: string;
  corpus: { paths: string[] | null; include: string[]; exclude: string[]; maxFileBytes: number };
  tokenizer: { vocabSize: number; minFrequency: number; lowercase: boolean; path: string | null };
  model: {
    arch: ModelArch;
    preset: ModelPreset;
    overrides: ModelOverrides;
    dropout: number;
    init: string | null;
  };
  data: { seqLen: number; mode: ExampleMode; validationSplit: number; masking: MaskingConfig };
  training: {
    batchSize: number;
    gradAccumulation: number;
    lr: number;
    warmupSteps: number | null;
    warmupRatio: number;
    schedule: LrSchedule;
    weightDecay: number;
    adamBeta1: number;
    adamBeta2: number;
    adamEpsilon: number;
    clipNorm: number | null;
    maxSteps: number | null;
    epochs: number | null;
    timeBudget: string | null;
    evalEvery: number;
    evalBatches: number | null;
    earlyStoppingPatience: number | null;
    seed: number;
    maxNonFinite: number;
    /** The loss-spike guard (server/ml/train/lossSpike.ts); null = off. */
    lossSpike: { factor: number; warmupSteps: number; maxInRow: number; lrFactor: number } | null;
    logEvery: number;
    /**
     * Data-parallel replicas on worker threads; 1 = off; "auto" = one per core on wasm/cpu when the model
     * and batch are large enough (server/ml/train/parallel).
     */
    dataParallel: number | 'auto';
    /** The recipe the defaults came from (protocol/runRecipe.ts); `auto` is resolved when the config is parsed. */
    recipe: ResolvedRecipe;
  };
  checkpoint: { every: number; keepLast: number; keepBest: boolean };
  backend: BackendChoice;
  threads: number | null;
  /** Extra metric outputs beside metrics.jsonl: TensorBoard event files (server/ml/checkpoint/tensorboard.ts). */
  logging: { tensorboard: boolean };
  output: { dir: string | null };
  /** Present: a fine-tune run (see RunConfigTask); null: pretraining. */
  task: RunConfigTask | null;
}

/** A partial run config as written by a user (every field optional, nested). */
export type RunConfigInput = DeepPartial<ResolvedRunConfig>;
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object | null ? DeepPartial<T[K]> : T[K];
};

export type ParseRunConfigResult = { ok: true; config: ResolvedRunConfig } | { ok: false; errors: string[] };

/** Epochs used when the config gives no stop at all (no maxSteps, epochs or timeBudget). */
export const DEFAULT_EPOCHS = 3;

export const RUN_CONFIG_SCHEMA: object = schema;

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validator: Validator | undefined;
function validate(): Validator {
  validator ??= new Ajv({ useDefaults: true, allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator;
}

/**
 * Validates a raw (parsed JSON) run config and fills in every default. Never throws. Errors name the
 * field, the allowed range and the value, e.g. "training.lr must be > 0, got -1".
 */
export function parseRunConfig(raw: unknown): ParseRunConfigResult {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: [`the run config must be a JSON object, got ${describe(raw)}`] };
  }
  const copy = withRecipe(structuredClone(raw) as Record<string, unknown>);
  const v = validate();
  if (!v(copy)) {
    return { ok: false, errors: dedupe(collapseAnyOf(v.errors ?? []).map((e) => formatAjvError(e, raw))) };
  }
  const config = copy as ResolvedRunConfig;
  const errors = [...crossFieldErrors(config), ...taskSectionErrors(raw as Record<string, unknown>)];
  return errors.length ? { ok: false, errors } : { ok: true, config };
}

/**
 * Resolves training.recipe (protocol/runRecipe.ts): for `per-minute`, its values go under the config's own, then the
 * schema fills the rest. A value of the wrong type is left for the schema to report.
 */
function withRecipe(raw: Record<string, unknown>): unknown {
  const section = (k: string): Record<string, unknown> =>
    isPlainObject(raw[k]) ? (raw[k] as Record<string, unknown>) : {};
  const training = section('training');
  const budget = typeof training.timeBudget === 'string' ? parseDuration(training.timeBudget) : undefined;
  const recipe = chooseRecipe({
    recipe: training.recipe,
    budgetMs: budget,
    init: section('model').init,
    task: raw.task,
  });
  if (!recipe || (raw.training !== undefined && !isPlainObject(raw.training))) return raw;
  const arch = section('model').arch === 'bigru' ? 'bigru' : 'bert';
  const base = recipe === 'per-minute' ? perMinuteValues(arch, budget ?? 0) : {};
  return mergeRunConfig(base, { ...raw, training: { ...training, recipe } });
}

/** Parses a duration such as "10m", "90s", "1h30m", "1.5h", "500ms" into milliseconds; undefined if invalid. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h)/gy;
  const s = text.trim();
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    pos = re.lastIndex;
    while (s[pos] === ' ') pos++;
  }
  return pos > 0 && total > 0 ? total : undefined;
}

/** Deep-merges `patch` over `base` (objects merge, arrays and scalars replace); undefined leaves keep base. */
export function mergeRunConfig(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch === undefined ? base : patch;
  if (!isPlainObject(base)) base = {};
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const merged = mergeRunConfig((base as Record<string, unknown>)[k], v);
    if (merged !== undefined) out[k] = merged;
  }
  return out;
}

function crossFieldErrors(c: ResolvedRunConfig): string[] {
  const errors: string[] = [];
  const m = c.data.masking;
  if (m.maskFraction + m.randomFraction > 1 + 1e-9) {
    errors.push(
      `data.masking.maskFraction + data.masking.randomFraction must be <= 1, got ${m.maskFraction} + ${m.randomFraction}`,
    );
  }
  if (c.training.timeBudget !== null && parseDuration(c.training.timeBudget) === undefined) {
    errors.push(
      `training.timeBudget must be a positive duration like "10m", "90s" or "1h30m", got "${c.training.timeBudget}"`,
    );
  }
  const o = c.model.overrides;
  if (o.hiddenSize !== undefined && o.numAttentionHeads !== undefined && o.hiddenSize % o.numAttentionHeads) {
    errors.push(
      `model.overrides.hiddenSize must be a multiple of model.overrides.numAttentionHeads, got ${o.hiddenSize} and ${o.numAttentionHeads}`,
    );
  }
  if (o.maxPositionEmbeddings !== undefined && c.data.seqLen > o.maxPositionEmbeddings) {
    errors.push(
      `data.seqLen must be <= model.overrides.maxPositionEmbeddings (${o.maxPositionEmbeddings}), got ${c.data.seqLen}`,
    );
  }
  return errors;
}

/** A failed anyOf reports once, naming its alternatives, instead of once per alternative. */
function collapseAnyOf(errors: ErrorObject[]): ErrorObject[] {
  const anyOf = errors.filter((e) => e.keyword === 'anyOf');
  return errors.filter(
    (e) => e.keyword === 'anyOf' || !anyOf.some((a) => e.schemaPath.startsWith(`${a.schemaPath}/`)),
  );
}

/** "auto", "an integer from 1 to 32": one alternative of an anyOf, in words. */
function describeAlternative(s: Record<string, unknown>): string {
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const name = String(s.type);
  const type = `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
  if (typeof s.minimum === 'number' && typeof s.maximum === 'number')
    return `${type} from ${s.minimum} to ${s.maximum}`;
  if (typeof s.minimum === 'number') return `${type} >= ${s.minimum}`;
  return type;
}

function formatAjvError(e: ErrorObject, raw: unknown): string {
  const field = e.instancePath.split('/').slice(1).join('.');
  const at = (name: string) => (field ? `${field}.${name}` : name);
  const value = valueAt(raw, e.instancePath);
  const got = `got ${describe(value)}`;
  const p = e.params as Record<string, unknown>;
  const where = field || 'the run config';
  switch (e.keyword) {
    case 'minimum':
      return `${where} must be >= ${p.limit}, ${got}`;
    case 'maximum':
      return `${where} must be <= ${p.limit}, ${got}`;
    case 'exclusiveMinimum':
      return `${where} must be > ${p.limit}, ${got}`;
    case 'exclusiveMaximum':
      return `${where} must be < ${p.limit}, ${got}`;
    case 'type':
      return `${where} must be ${String(p.type).replace(',', ' or ')}, ${got}`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}, ${got}`;
    case 'additionalProperties':
      return `${at(String(p.additionalProperty))} is not a known field (allowed in ${where}: ${allowedKeys(e.instancePath).join(', ')})`;
    case 'pattern':
      return `${where} must be a duration like "10m", "90s" or "1h30m", ${got}`;
    case 'minItems':
      return `${where} must have at least ${p.limit} item(s), ${got}`;
    case 'minLength':
      return `${where} must not be empty, ${got}`;
    case 'maxLength':
      return `${where} must be at most ${p.limit} characters, ${got}`;
    case 'anyOf': {
      const alternatives = (e.parentSchema?.anyOf ?? []) as Record<string, unknown>[];
      return `${where} must be ${alternatives.map(describeAlternative).join(' or ')}, ${got}`;
    }
    default:
      return `${where} ${e.message ?? 'is invalid'}, ${got}`;
  }
}

function allowedKeys(instancePath: string): string[] {
  let s: Record<string, unknown> = schema as unknown as Record<string, unknown>;
  for (const part of instancePath.split('/').slice(1)) {
    const props = s.properties as Record<string, Record<string, unknown>> | undefined;
    if (!props?.[part]) return [];
    s = props[part];
  }
  return Object.keys((s.properties as object | undefined) ?? {});
}

function valueAt(raw: unknown, pointer: string): unknown {
  let v: unknown = raw;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array ${truncate(JSON.stringify(v))}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return truncate(JSON.stringify(v));
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
