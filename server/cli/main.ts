/**
 * `mlm` — the headless CLI over the same core the VS Code backend uses.
 * Each command lives in server/cli/commands/<name>.ts and is listed once in COMMANDS below.
 */
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { CliError, type Command } from './command';
import { demoCommand } from './commands/demo';
import { doctorCommand } from './commands/doctor';
import { evalCommand } from './commands/eval';
import { exportCommand } from './commands/export';
import { exportMetricsCommand } from './commands/exportMetrics';
import { fillCommand } from './commands/fill';
import { finetuneCommand } from './commands/finetune';
import { importCommand } from './commands/import';
import { launchCommand, launchImportCommand } from './commands/launch';
import { modelsCommand } from './commands/models';
import { predictCommand } from './commands/predict';
import { serveCommand } from './commands/serve';
import { trainCommand } from './commands/train';
import { tokenizerEncodeCommand, tokenizerReportCommand, tokenizerTrainCommand } from './commands/tokenizer';

const COMMANDS: Command[] = [
  trainCommand,
  evalCommand,
  fillCommand,
  finetuneCommand,
  predictCommand,
  importCommand,
  modelsCommand,
  exportCommand,
  exportMetricsCommand,
  demoCommand,
  doctorCommand,
  serveCommand,
  launchCommand,
  launchImportCommand,
  tokenizerTrainCommand,
  tokenizerEncodeCommand,
  tokenizerReportCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  return [
    'mlm — train and use BERT-style masked language models on your own text',
    '',
    'usage: mlm <command> [options]     (mlm help <command> for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Longest command name that prefixes argv (commands may have two words, e.g. "tokenizer train"). */
function resolve(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${help()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === 'help') {
    const r = resolve(argv.slice(1));
    process.stdout.write(`${r ? r.command.usage : help()}\n`);
    return r || argv.length === 1 ? 0 : 2;
  }
  const r = resolve(argv);
  if (!r) {
    process.stderr.write(`mlm: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}\n`);
    return 2;
  }
  if (r.rest.includes('--help') || r.rest.includes('-h')) {
    process.stdout.write(`${r.command.usage}\n`);
    return 0;
  }
  try {
    return await r.command.run(r.rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`mlm: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof MlmError) {
      // The shared server code (e.g. the run-config loader) fails with coded errors: bad input is a usage error.
      process.stderr.write(`mlm: ${err.message}\n`);
      const usage: number[] = [MlmErrorCodes.InvalidRunConfig, MlmErrorCodes.InvalidParams];
      return usage.includes(err.code) ? 2 : 1;
    }
    process.stderr.write(
      `mlm: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    // Exit explicitly: the threaded wasm backend's pthreads would otherwise keep the process alive.
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mlm: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
