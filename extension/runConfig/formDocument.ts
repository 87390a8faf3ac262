/**
 * What the run-config form shows of a document and whether an edit may be written: the config's value and
 * parseRunConfig's problems (the one validator of run configs, also the backend's and the CLI's). Pure (no `vscode`):
 * extension/runConfig/formEditor.ts posts and applies the results.
 */
import { parseRunConfig } from '../../protocol/runConfig';
import { problemField } from '../../protocol/runConfigForm';
import type { FormProblem, HostToFormMessage } from '../../protocol/runConfigFormMessages';
import { readJsonText, withValue, type ReadResult } from './jsonText';
import { RUN_CONFIG_PRESETS } from './presets';

const PRESETS = RUN_CONFIG_PRESETS.map(({ id, label, detail }) => ({ id, label, detail }));

/** What a config's text amounts to for the form: its value and parseRunConfig's problems, or the JSON error. */
export function formDocument(text: string): Extract<HostToFormMessage, { type: 'document' }> {
  const read = readJsonText(text);
  if (!read.ok) return { type: 'document', error: read.error, problems: [], presets: PRESETS };
  return { type: 'document', value: read.value, problems: problemsOf(read), presets: PRESETS };
}

function problemsOf(read: ReadResult & { ok: true }): FormProblem[] {
  const r = parseRunConfig(read.value);
  return r.ok ? [] : r.errors.map((message) => ({ field: problemField(message), message }));
}

/**
 * The text after setting `path` to `value`, or the problems that refuse it: the validator's errors about that field
 * (or a part of it). Problems elsewhere (another field, a cross-field check) do not stop the edit.
 */
export function editedText(
  text: string,
  path: string[],
  value: unknown,
): { ok: true; text: string } | { ok: false; message: string } {
  const read = readJsonText(text);
  if (!read.ok)
    return { ok: false, message: `the file is not valid JSON (${read.error}): fix it as text first` };
  const next = withValue(text, path, value);
  const after = readJsonText(next);
  if (!after.ok) return { ok: false, message: `the edit would break the JSON (${after.error})` };
  const field = path.join('.');
  const refused = problemsOf(after).filter((p) => p.field === field || p.field.startsWith(`${field}.`));
  return refused.length
    ? { ok: false, message: refused.map((p) => p.message).join('; ') }
    : { ok: true, text: next };
}
