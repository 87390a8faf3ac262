/** `mlm serve`: runs the JSON-RPC backend headless (for a VS Code on another machine, or any LSP client). */
import { CliError, type Command } from '../command';
import { startServer } from '../../rpc/startServer';
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
    '  --host HOST      address to bind with --socket (default 127.0.0.1; use 0.0.0.0 only on a trusted network:',
    '                   the protocol has no authentication — prefer an SSH tunnel)',
    '',
    "The workspace root comes from the client's initialize request. Environment: MLM_BACKEND, MLM_GPU_POLL_MS,",
    'MLM_NVIDIA_SMI_TIMEOUT_MS (see docs/protocol.md).',
  ].join('\n'),
  async run(argv) {
    let transport: Transport;
    try {
      transport = parseTransport(argv);
    } catch (err) {
      throw new CliError(`${(err as Error).message}\n\n${serveCommand.usage}`, 2);
    }
    const started = startServer(transport, (line) => process.stderr.write(`mlm serve: ${line}\n`));
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
