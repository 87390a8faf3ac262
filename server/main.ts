/**
 * Entry of dist/server.js, the MLM backend: `node dist/server.js --stdio | --node-ipc | --socket PORT [--host H]`.
 * The server's state lives in app/ (AppState: runs, fill-mask model, corpus, telemetry), the JSON-RPC edge in rpc/
 * (transports, sessions, handlers) and the training and inference threads in worker/.
 * Never write to stdout here: with --stdio it carries the protocol.
 */
import { startServer } from './rpc/startServer';
import { parseTransport } from './rpc/transport';

try {
  const started = startServer(parseTransport(process.argv.slice(2)), (line) =>
    process.stderr.write(`mlm backend: ${line}\n`),
  );
  started.listening?.then(
    (a) => process.stderr.write(`mlm backend: listening on ${a.address}:${a.port}\n`),
    (err: Error) => {
      process.stderr.write(`mlm backend: cannot listen: ${err.message}\n`);
      process.exit(2);
    },
  );
} catch (err) {
  process.stderr.write(`mlm backend: ${(err as Error).message}\n`);
  process.exit(2);
}
