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
