/** Which transport the backend speaks, from its command line (pure). */
export type Transport =
  | { kind: 'stdio' }
  | { kind: 'node-ipc' }
  /** Listens on host:port (default host 127.0.0.1) and serves each client that connects. */
  | { kind: 'socket'; port: number; host: string };

export const TRANSPORT_USAGE = '--stdio | --node-ipc | --socket PORT [--host 127.0.0.1]';

/** Parses `--stdio`, `--node-ipc`, `--socket PORT` / `--socket=PORT`, `--host H` / `--host=H`; other args are ignored. */
export function parseTransport(argv: readonly string[]): Transport {
  const value = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === name) return argv[i + 1] ?? '';
      if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    }
    return undefined;
  };
  const kinds = ['--stdio', '--node-ipc', '--socket'].filter((k) =>
    argv.some((a) => a === k || a.startsWith(`${k}=`)),
  );
  if (kinds.length !== 1) {
    throw new Error(
      kinds.length
        ? `choose one transport, got ${kinds.join(' and ')}`
        : `no transport given: use ${TRANSPORT_USAGE}`,
    );
  }
  if (kinds[0] === '--stdio') return { kind: 'stdio' };
  if (kinds[0] === '--node-ipc') return { kind: 'node-ipc' };
  const raw = value('--socket') ?? '';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new Error(`--socket needs a port number in 0..65535 (0 = any free port), got "${raw}"`);
  }
  const host = value('--host') || '127.0.0.1';
  return { kind: 'socket', port, host };
}
