/**
 * The run-config form (the custom editor of `*.mlm.json`) as data, derived from the JSON Schema
 * (runConfig.schema.json, the one source of truth): one section per object, one field per scalar, list or choice,
 * with its default, range, pattern, enum and description. Pure: the webview renders it, the tests check it.
 * Validation is not here: the host validates with parseRunConfig (protocol/runConfig.ts), whose errors name the
 * field first (`problemField`).
 */

/** The file dialog a path field offers (schema keyword `x-mlm-path`). */
export type PathKind = 'file' | 'folder' | 'any';

/** How one value is edited. */
export type FieldWidget =
  | { kind: 'text'; pattern?: string; minLength?: number; maxLength?: number; pathKind?: PathKind }
  | {
      kind: 'number';
      integer: boolean;
      minimum?: number;
      maximum?: number;
      exclusiveMinimum?: number;
      exclusiveMaximum?: number;
    }
  | { kind: 'boolean' }
  | { kind: 'enum'; options: Array<string | number> }
  | { kind: 'list'; item: 'string' | 'number'; minItems?: number; pathKind?: PathKind }
  | { kind: 'anyOf'; alternatives: FormAlternative[] };

/** One branch of an anyOf: a constant (e.g. "auto") or a value edited with its own widget. */
export interface FormAlternative {
  label: string;
  constant?: string | number;
  widget?: FieldWidget;
}

export interface FormField {
  /** JSON path in the config, e.g. ['training', 'lr']. */
  path: string[];
  label: string;
  description?: string;
  /** The schema's default (undefined: none; the field is then simply left out). */
  default?: unknown;
  /** The schema allows null (e.g. "null disables clipping"). */
  nullable: boolean;
  /** Listed in its section's `required`. */
  required: boolean;
  widget: FieldWidget;
}

export interface FormSection {
  /** [] for the root ("General"). */
  path: string[];
  title: string;
  description?: string;
  /** The section may be null (e.g. training.lossSpike: null turns the guard off; task: null = pretraining). */
  nullable: boolean;
  default?: unknown;
  fields: FormField[];
  sections: FormSection[];
}

type Schema = Record<string, unknown>;

/** Keys of the root that are not settings (the editor's schema association). */
const META_KEYS = new Set(['$schema']);

/** "batchSize" → "Batch size", "lr" → "Lr", "seqLen" → "Seq len". */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function types(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type as string[];
  return typeof s.type === 'string' ? [s.type] : [];
}

const isObjectSchema = (s: Schema): boolean =>
  types(s).includes('object') && typeof s.properties === 'object';

/** The form of a run-config schema: the root section (top-level scalars) with one sub-section per object. */
export function runConfigForm(schema: object): FormSection {
  return section(schema as Schema, [], 'General');
}

function section(s: Schema, path: string[], title: string): FormSection {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const out: FormSection = {
    path,
    title,
    description: s.description as string | undefined,
    nullable: types(s).includes('null'),
    default: s.default,
    fields: [],
    sections: [],
  };
  for (const [key, prop] of Object.entries(props)) {
    if (path.length === 0 && META_KEYS.has(key)) continue;
    const p = [...path, key];
    if (isObjectSchema(prop)) out.sections.push(section(prop, p, humanize(key)));
    else out.fields.push(field(prop, p, required.has(key)));
  }
  return out;
}

function field(s: Schema, path: string[], required: boolean): FormField {
  return {
    path,
    label: humanize(path[path.length - 1]),
    description: s.description as string | undefined,
    default: s.default,
    nullable: types(s).includes('null'),
    required,
    widget: widget(s),
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const pathKind = (s: Schema): PathKind | undefined => s['x-mlm-path'] as PathKind | undefined;

/** The widget of a (non-object) schema. Throws on a schema shape the form cannot edit, so a new one is noticed. */
export function widget(s: Schema): FieldWidget {
  if (Array.isArray(s.enum)) return { kind: 'enum', options: s.enum as Array<string | number> };
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    const branches = (s.anyOf ?? s.oneOf) as Schema[];
    return { kind: 'anyOf', alternatives: branches.flatMap(alternatives) };
  }
  const t = types(s).filter((x) => x !== 'null');
  if (t.length !== 1)
    throw new Error(`the run-config form cannot edit a schema of type ${JSON.stringify(s.type)}`);
  switch (t[0]) {
    case 'string':
      return {
        kind: 'text',
        pattern: s.pattern as string | undefined,
        minLength: num(s.minLength),
        maxLength: num(s.maxLength),
        pathKind: pathKind(s),
      };
    case 'integer':
    case 'number':
      return {
        kind: 'number',
        integer: t[0] === 'integer',
        minimum: num(s.minimum),
        maximum: num(s.maximum),
        exclusiveMinimum: num(s.exclusiveMinimum),
        exclusiveMaximum: num(s.exclusiveMaximum),
      };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array': {
      const items = (s.items ?? {}) as Schema;
      const item = types(items)[0];
      if (item !== 'string' && item !== 'number' && item !== 'integer')
        throw new Error(`the run-config form cannot edit arrays of ${String(item)}`);
      return {
        kind: 'list',
        item: item === 'string' ? 'string' : 'number',
        minItems: num(s.minItems),
        pathKind: pathKind(s) ?? pathKind(items),
      };
    }
    default:
      throw new Error(`the run-config form cannot edit a schema of type ${t[0]}`);
  }
}

function alternatives(s: Schema): FormAlternative[] {
  if ('const' in s) return [{ label: String(s.const), constant: s.const as string | number }];
  if (Array.isArray(s.enum))
    return (s.enum as Array<string | number>).map((v) => ({ label: String(v), constant: v }));
  const w = widget(s);
  return [{ label: describeWidget(w), widget: w }];
}

/** "integer 1 – 32", "number > 0", "list of numbers": a widget's kind and range in words. */
export function describeWidget(w: FieldWidget): string {
  if (w.kind === 'list') return `list of ${w.item}s`;
  if (w.kind !== 'number') return w.kind;
  const lo =
    w.minimum !== undefined
      ? `${w.minimum}`
      : w.exclusiveMinimum !== undefined
        ? `>${w.exclusiveMinimum}`
        : '';
  const hi =
    w.maximum !== undefined
      ? `${w.maximum}`
      : w.exclusiveMaximum !== undefined
        ? `<${w.exclusiveMaximum}`
        : '';
  const name = w.integer ? 'integer' : 'number';
  if (lo && hi) return `${name} ${lo} – ${hi}`;
  if (lo) return `${name} ${lo.startsWith('>') ? lo.replace('>', '> ') : `≥ ${lo}`}`;
  if (hi) return `${name} ${hi.startsWith('<') ? hi.replace('<', '< ') : `≤ ${hi}`}`;
  return name;
}

/** What a field shows when the config leaves it out: "default: 0.0005", "default: null", "no default". */
export function defaultText(f: Pick<FormField, 'default'>): string {
  if (f.default === undefined) return '';
  if (Array.isArray(f.default)) return `default: ${f.default.join(', ')}`;
  return `default: ${typeof f.default === 'string' ? f.default : JSON.stringify(f.default)}`;
}

/** The result of reading what was typed into a field: the JSON value (undefined = leave the key out), or why not. */
export type InputValue = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Turns typed text into the field's JSON value: '' leaves the key out (the default applies); `null` where the
 * schema allows null; numbers parsed; a list is one item per line. Ranges and patterns are the validator's job.
 */
export function parseInput(w: FieldWidget, nullable: boolean, text: string): InputValue {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  if (nullable && t === 'null') return { ok: true, value: null };
  switch (w.kind) {
    case 'text':
      return { ok: true, value: text };
    case 'number':
      return parseNumber(t, w.integer);
    case 'boolean':
      return t === 'true' || t === 'false'
        ? { ok: true, value: t === 'true' }
        : { ok: false, error: 'enter true or false' };
    case 'enum': {
      const match = w.options.find((o) => String(o) === t);
      return match !== undefined
        ? { ok: true, value: match }
        : { ok: false, error: `enter one of ${w.options.join(', ')}` };
    }
    case 'list': {
      const items = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '');
      if (w.item === 'string') return { ok: true, value: items };
      const values: number[] = [];
      for (const item of items) {
        const n = parseNumber(item, false);
        if (!n.ok) return { ok: false, error: `${n.error} (got "${item}")` };
        values.push(n.value as number);
      }
      return { ok: true, value: values };
    }
    case 'anyOf': {
      for (const a of w.alternatives) {
        if (a.constant !== undefined && String(a.constant) === t) return { ok: true, value: a.constant };
      }
      for (const a of w.alternatives) {
        if (!a.widget) continue;
        const v = parseInput(a.widget, false, text);
        if (v.ok) return v;
      }
      return { ok: false, error: `enter ${w.alternatives.map((a) => a.label).join(' or ')}` };
    }
  }
}

function parseNumber(t: string, integer: boolean): InputValue {
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, error: 'enter a number' };
  if (integer && !Number.isInteger(n)) return { ok: false, error: 'enter a whole number' };
  return { ok: true, value: n };
}

/** The text a field shows for a value of the config (the inverse of parseInput). */
export function formatValue(w: FieldWidget, value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(String).join('\n');
  if (w.kind === 'anyOf' && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The field a parseRunConfig error is about: its messages name the dotted field first ("training.lr must be > 0,
 * got -1", "corpus.foo is not a known field …", "data.masking.maskFraction + … must be <= 1"); '' when the
 * message is about the whole config.
 */
export function problemField(message: string): string {
  const m = /^([A-Za-z_$][\w$-]*(?:\.[\w$-]+)*) (?:must|is|\+|should) /.exec(message);
  return m ? m[1] : '';
}

/** Every field of a form, depth first (the root's fields, then each section's). */
export function allFields(s: FormSection): FormField[] {
  return [...s.fields, ...s.sections.flatMap(allFields)];
}
