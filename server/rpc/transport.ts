/** Which transport the backend speaks, from its command line (pure). */
export type Transport =
  | { kind: 'stdio' }
  | { kind: 'node-ipc' }
  /**
   * Listens on host:port (default host 127.0.0.1) and serves each client that connects and shows the token; serves
   * the workspace folder (default: the current one) and confines request paths to it and the extra roots.
   */
  | { kind: 'socket'; port: number; host: string; tokenFile?: string; workspace?: string; roots: string[] };

export const TRANSPORT_USAGE =
  '--stdio | --node-ipc | --socket PORT [--host 127.0.0.1] [--token-file FILE] [--workspace DIR] [--root DIR]...';

/**
 * Parses `--stdio`, `--node-ipc`, `--socket PORT`, and for a socket `--host H`, `--token-file F`, `--workspace D` and
 * `--root D` (repeatable); each also as `--name=value`. Other args are ignored.
 */
export function parseTransport(argv: readonly string[]): Transport {
  const values = (name: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === name) out.push(argv[i + 1] ?? '');
      else if (argv[i].startsWith(`${name}=`)) out.push(argv[i].slice(name.length + 1));
    }
    return out;
  };
  const value = (name: string): string | undefined => values(name)[0];
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
  const path = (name: string): string | undefined => {
    const v = value(name);
    if (v === '') throw new Error(`${name} needs a path`);
    return v;
  };
  const roots = values('--root');
  if (roots.some((r) => r === '')) throw new Error('--root needs a folder');
  const tokenFile = path('--token-file');
  const workspace = path('--workspace');
  return {
    kind: 'socket',
    port,
    host,
    roots,
    ...(tokenFile !== undefined && { tokenFile }),
    ...(workspace !== undefined && { workspace }),
  };
}
