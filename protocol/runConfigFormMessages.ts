/**
 * Messages between the extension host and the run-config form webview (the custom editor of `*.mlm.json`). Both
 * directions are discriminated unions on `type`; each side checks what it receives with the guard below and
 * ignores (and logs) anything else. The host owns the document: the webview only asks for changes.
 */

/** A problem of the config (a parseRunConfig error), with the dotted field it names ('' = the whole config). */
export interface FormProblem {
  field: string;
  message: string;
}

/** A preset the form offers as a starting point (extension/runConfig/presets.ts). */
export interface FormPreset {
  id: string;
  label: string;
  detail: string;
}

/** Extension host → form webview. */
export type HostToFormMessage =
  /** The document's config after every change (and after `ready`); `error` when its text is not JSON. */
  | { type: 'document'; value?: unknown; error?: string; problems: FormProblem[]; presets: FormPreset[] }
  /** A change the form asked for was not written: the value is out of the field's range (the validator's words). */
  | { type: 'rejected'; field: string; message: string };

/** Form webview → extension host. */
export type FormToHostMessage =
  /** The webview loaded and wants the document. */
  | { type: 'ready' }
  /** Set the value at `path` (a missing `value` removes the key, so the default applies). */
  | { type: 'edit'; path: string[]; value?: unknown }
  /** Pick a path with a file or folder dialog and write it to `path` (`append`: add it to a list). */
  | { type: 'pickPath'; path: string[]; kind: 'file' | 'folder'; append: boolean }
  /** Write a preset's values over the config (other keys and comments stay). */
  | { type: 'applyPreset'; id: string }
  /** Reopen the document in the text editor. */
  | { type: 'openText' };

const MAX_PATH = 8;
const MAX_KEY = 200;
const MAX_VALUE_CHARS = 100_000;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isKeyPath = (v: unknown): v is string[] =>
  Array.isArray(v) &&
  v.length >= 1 &&
  v.length <= MAX_PATH &&
  v.every((k) => typeof k === 'string' && k.length > 0 && k.length <= MAX_KEY);
const isProblems = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every((p) => isRecord(p) && typeof p.field === 'string' && typeof p.message === 'string');

/** Validates a message the host received from the form webview. */
export function isFormToHostMessage(v: unknown): v is FormToHostMessage {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'openText':
      return true;
    case 'edit':
      return (
        isKeyPath(v.path) && (v.value === undefined || JSON.stringify(v.value).length <= MAX_VALUE_CHARS)
      );
    case 'pickPath':
      return isKeyPath(v.path) && (v.kind === 'file' || v.kind === 'folder') && typeof v.append === 'boolean';
    case 'applyPreset':
      return typeof v.id === 'string' && v.id.length > 0 && v.id.length <= MAX_KEY;
    default:
      return false;
  }
}

/** Validates a message the form webview received from the host. */
export function isHostToFormMessage(v: unknown): v is HostToFormMessage {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'document':
      return (
        (v.error === undefined || typeof v.error === 'string') &&
        isProblems(v.problems) &&
        Array.isArray(v.presets) &&
        v.presets.every((p) => isRecord(p) && typeof p.id === 'string' && typeof p.label === 'string')
      );
    case 'rejected':
      return typeof v.field === 'string' && typeof v.message === 'string';
    default:
      return false;
  }
}
