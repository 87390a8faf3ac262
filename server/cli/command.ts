import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What every `mlm <command>` module exports. */
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
