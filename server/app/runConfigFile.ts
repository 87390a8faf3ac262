/**
 * Reading a run configuration from its file (`*.mlm.json`, or a run folder's config.json) and validating it: the
 * one loader of the backend (mlm/train with configPath) and the CLI (mlm train --config, --resume). Failures are
 * MlmError InvalidRunConfig naming the file and the cause, with `data.errors` listing each problem.
 */
import fs from 'node:fs';
import { MlmError, MlmErrorCodes, type InvalidRunConfigData } from '../../protocol/errors';
import { readJsonText } from '../../protocol/jsonc';
import { parseRunConfig, type ResolvedRunConfig } from '../../protocol/runConfig';

const invalid = (message: string, errors: string[]): MlmError =>
  new MlmError(MlmErrorCodes.InvalidRunConfig, message, { errors } satisfies InvalidRunConfigData);

/** The file's JSON (comments allowed), not yet validated (the CLI merges its flags over it first). */
export function loadRunConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw invalid(`cannot read the run config ${file}: ${why}; check the path`, [
      `cannot read ${file}: ${why}`,
    ]);
  }
  // Comments and trailing commas are allowed (the run-config form keeps a user's comments).
  const read = readJsonText(text);
  if (read.ok) return read.value;
  const why = `${file} is not valid JSON: ${read.error}`;
  throw invalid(`${why}; fix the file (VS Code underlines the error)`, [why]);
}

/** A raw run config validated, with every default filled in. `source` says where it came from, for the message. */
export function resolveRunConfig(raw: unknown, source: string): ResolvedRunConfig {
  const r = parseRunConfig(raw);
  if (!r.ok) throw invalid(`the run config (${source}) is invalid: ${r.errors.join('; ')}`, r.errors);
  return r.config;
}
