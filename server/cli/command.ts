import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_CHOICES } from '../../protocol/shared/choices';

/** What every `mlm <command>` module exports. */
/** The `--backend B` values for usage texts (the one list: BACKEND_CHOICES). */
export const BACKEND_USAGE = BACKEND_CHOICES.join(' | ');

export interface Command {
  /** e.g. "tokenizer train" — the words a user types after `mlm`. */
  name: string;
  summary: string;
  /** Full usage text printed by `mlm help <command>` and on a usage error. */
  usage: string;
  /** Runs the command; resolves to the process exit code. Throw CliError for a user-facing failure. */
  run(argv: string[]): Promise<number>;
}

/** A failure the user can act on: printed as "mlm: <message>" (no stack) with a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** node:util's parseArgs; a bad or unknown option becomes a usage error (exit 2) followed by the usage text. */
export function parseCliArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${usage}`, 2);
  }
}

/** A number flag (range checks are the caller's); "abc" fails naming the flag, followed by the usage text. */
export function numberFlag(v: string | undefined, flag: string, usage: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new CliError(`--${flag} must be a number, got "${v}"\n\n${usage}`, 2);
  return n;
}

/**
 * Runs a long job whose signal the first Ctrl+C aborts (the job stops gracefully: evaluates, checkpoints); a second
 * Ctrl+C quits at once.
 */
export async function stopOnSigint<T>(job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this step (Ctrl+C again to quit at once)…\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await job(abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
