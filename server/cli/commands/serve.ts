/** `mlm serve`: runs the JSON-RPC backend headless (for a VS Code on another machine, or any LSP client). */
import { CliError, type Command } from '../command';
import { startServer, type RunningServer } from '../../rpc/startServer';
import { TOKEN_ENV } from '../../rpc/tokenGate';
import { parseTransport, TRANSPORT_USAGE, type Transport } from '../../rpc/transport';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the backend (JSON-RPC / LSP) over stdio, node IPC or a TCP socket',
  usage: [
    `usage: mlm serve ${TRANSPORT_USAGE}`,
    '',
    '  --stdio          speak JSON-RPC on stdin/stdout (exits when stdin closes)',
    '  --node-ipc       speak over the Node IPC channel of the parent process',
    '  --socket PORT    listen on TCP PORT and serve each client that connects; training goes on between clients',
    '  --host HOST      address to bind with --socket (default 127.0.0.1, this machine only; the traffic is not',
    '                   encrypted: reach it through an SSH tunnel rather than binding 0.0.0.0)',
    '  --token-file F   the token clients must send (a secret of at least 16 characters in file F); default',
    `                   $${TOKEN_ENV}, else a new random token printed at start`,
    '  --workspace DIR  the folder served (its text is the corpus, runs go to DIR/.mlm/runs); default: the',
    '                   current folder',
    '  --root DIR       another folder requests may name (init models, tokenizers, output dirs); repeatable.',
    '                   Paths outside the workspace and these roots are refused.',
    '',
    'With --stdio and --node-ipc the workspace root comes from the client that spawned the backend. Environment:',
    'MLM_BACKEND, MLM_GPU_POLL_MS, MLM_NVIDIA_SMI_TIMEOUT_MS (see docs/protocol.md). Set-up: docs/scale-out.md.',
  ].join('\n'),
  async run(argv) {
    let transport: Transport;
    try {
      transport = parseTransport(argv);
    } catch (err) {
      throw new CliError(`${(err as Error).message}\n\n${serveCommand.usage}`, 2);
    }
    let started: RunningServer;
    try {
      started = startServer(transport, (line) => process.stderr.write(`mlm serve: ${line}\n`));
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    if (started.listening) {
      try {
        const a = await started.listening;
        process.stderr.write(`mlm serve: listening on ${a.address}:${a.port}\n`);
      } catch (err) {
        throw new CliError(
          `cannot listen on ${transport.kind === 'socket' ? `${transport.host}:${transport.port}` : ''}: ${(err as Error).message}`,
        );
      }
    }
    // The server ends the process itself (client gone, exit notification); until then this never resolves.
    return new Promise<number>(() => undefined);
  },
};
