/**
 * The one way unit tests run the `mlm` CLI as a user does: a child process (the test runner owns this process's
 * stdout) of `node --import tsx server/cli/main.ts …`, so it always runs the current sources and never races a
 * build writing dist/. (The protocol tier runs the built dist/cli.js.)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'server/cli/main.ts');
/** tsx's loader by absolute URL: `--import tsx` would resolve from the child's working directory. */
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliResult {
  /** Exit code (null when killed by a signal, e.g. the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory; default the repository root. */
  cwd?: string;
  /** Written to stdin, then stdin is closed (always closed, so a command reading stdin cannot hang). */
  input?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Killed after this long (default 120 s): the test then fails on the null exit code. */
  timeoutMs?: number;
}

/** Runs `mlm ...args` and resolves when it exits. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      timeout: opts.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(opts.input ?? '');
  });
}
