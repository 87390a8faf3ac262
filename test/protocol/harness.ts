/**
 * Spawns the BUILT backend (dist/server.js) as a child process and speaks JSON-RPC to it with vscode-jsonrpc,
 * the way the extension does. Notifications are recorded so tests can await them (no sleeps).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  SocketMessageReader,
  SocketMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

export const ROOT = path.resolve(__dirname, '../..');
export const SERVER = path.join(ROOT, 'dist/server.js');

/** Builds dist/ (node .ci/build.mjs, which does nothing when no input of its last build changed). */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, ['.ci/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`node .ci/build.mjs failed: ${String(r.stderr)}`);
}

/** A fresh copy of a fixture folder in a temp dir (runs are written under it). */
export function tempWorkspace(fixture = 'protocol-corpus'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-proto-'));
  fs.cpSync(path.join(ROOT, 'test/fixtures', fixture), dir, { recursive: true });
  return dir;
}

export interface Notification {
  method: string;
  params: unknown;
}

export class Recorder {
  readonly all: Notification[] = [];
  private waiters: Array<{
    method: string;
    pred: (p: unknown) => boolean;
    resolve: (p: unknown) => void;
    reject: (e: Error) => void;
  }> = [];
  private failure: Error | undefined;

  push(n: Notification): void {
    this.all.push(n);
    this.waiters = this.waiters.filter((w) => {
      if (w.method !== n.method || !w.pred(n.params)) return true;
      w.resolve(n.params);
      return false;
    });
  }

  /** The server is gone: every pending and future wait fails with this error instead of hanging. */
  fail(err: Error): void {
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** The first notification (already received or future) of `method` matching pred. */
  next<T>(method: string, pred: (p: T) => boolean = () => true, since = 0): Promise<T> {
    const hit = this.all.slice(since).find((n) => n.method === method && pred(n.params as T));
    if (hit) return Promise.resolve(hit.params as T);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) =>
      this.waiters.push({ method, pred: (p) => pred(p as T), resolve: (p) => resolve(p as T), reject }),
    );
  }

  of<T>(method: string): T[] {
    return this.all.filter((n) => n.method === method).map((n) => n.params as T);
  }
}

/** Starts `conn`, recording every notification (and $/progress) and accepting server → client requests. */
function listenRecording(conn: MessageConnection): Recorder {
  const notes = new Recorder();
  conn.onNotification((method, params) => notes.push({ method, params }));
  // vscode-jsonrpc routes $/progress to per-token handlers; record them like other notifications.
  conn.onUnhandledProgress((p) => notes.push({ method: '$/progress', params: p }));
  // window/workDoneProgress/create and similar server → client requests: accept them.
  conn.onRequest(() => null);
  conn.onError(() => undefined);
  conn.listen();
  return notes;
}

export interface Spawned {
  proc: ChildProcess;
  conn: MessageConnection;
  notes: Recorder;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends raw bytes on stdin (stdio transport only). */
  raw(bytes: string): void;
}

export function spawnServer(
  opts: {
    transport?: 'stdio' | 'node-ipc';
    env?: Record<string, string>;
    args?: string[];
    /** Another build's server.js (the hover bench's --baseline); default this checkout's dist/server.js. */
    server?: string;
  } = {},
): Spawned {
  const transport = opts.transport ?? 'stdio';
  const proc = spawn(process.execPath, [opts.server ?? SERVER, `--${transport}`, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: transport === 'stdio' ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const conn =
    transport === 'stdio'
      ? createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!))
      : createMessageConnection(new IPCMessageReader(proc), new IPCMessageWriter(proc));
  const notes = listenRecording(conn);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // Once its output is fully read ('close') and dispatched (vscode-jsonrpc handles messages on setImmediate),
  // pending requests and waits fail, naming the exit, instead of hanging the test.
  proc.on('close', (code, signal) =>
    setImmediate(() =>
      setImmediate(() => {
        notes.fail(
          new Error(`the server exited (code ${code}, signal ${signal}); stderr: ${err.slice(-2000)}`),
        );
        conn.dispose();
      }),
    ),
  );
  return { proc, conn, notes, stderr: () => err, exited, raw: (b) => proc.stdin!.write(b) };
}

export async function initialize(
  s: Spawned,
  root: string | null,
  options: Record<string, unknown> = {},
): Promise<unknown> {
  const result = await s.conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: root ? `file://${root}` : null,
    workspaceFolders: root ? [{ uri: `file://${root}`, name: path.basename(root) }] : null,
    capabilities: { window: { workDoneProgress: true } },
    initializationOptions: options,
  });
  await s.conn.sendNotification('initialized', {});
  return result;
}

/** Polite end: shutdown + exit, then wait for the process. */
export async function stopServer(s: Spawned): Promise<void> {
  try {
    await s.conn.sendRequest('shutdown');
    await s.conn.sendNotification('exit');
  } catch {
    // already gone
  }
  s.conn.dispose();
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    const t = setTimeout(() => s.proc.kill('SIGKILL'), 5000);
    await s.exited;
    clearTimeout(t);
  }
}

/** A run config small enough to train in seconds on the fixture corpus. */
export const TINY_RUN = {
  model: {
    preset: 'tiny',
    overrides: {
      hiddenSize: 32,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 64,
      maxPositionEmbeddings: 64,
    },
  },
  tokenizer: { vocabSize: 120, minFrequency: 1 },
  data: { seqLen: 32, validationSplit: 0.3 },
  // maxSteps: far more than a suite lasts (steps take milliseconds); every test that starts the run stops it.
  training: { batchSize: 4, maxSteps: 1_000_000, evalEvery: 5, evalBatches: 1, logEvery: 1, warmupSteps: 0 },
  checkpoint: { every: 5, keepLast: 2 },
};

/** A socket backend (`mlm serve --socket 0`) in its own process, with the port and token it printed. */
export interface SocketBackend extends Pick<Spawned, 'proc' | 'stderr' | 'exited'> {
  port: number;
  token: string;
}

/** Starts `mlm serve --socket 0` (extra args appended) and resolves once it listens; the token is the generated one. */
export function spawnSocketBackend(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<SocketBackend> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve', '--socket', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, MLM_SERVE_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const port = /listening on [^\s]+:(\d+)/.exec(err);
      if (port) {
        const token = / token: (\S+)/.exec(err)?.[1] ?? env.MLM_SERVE_TOKEN ?? '';
        resolve({ proc, port: Number(port[1]), token, stderr: () => err, exited });
      }
    });
    void exited.then(({ code }) => reject(new Error(`mlm serve exited (${code}): ${err}`)));
  });
}

/** A JSON-RPC connection to a socket backend; notifications are recorded. `closed` resolves when the socket ends. */
export async function connectSocket(
  port: number,
): Promise<{ conn: MessageConnection; notes: Recorder; socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  const notes = listenRecording(conn);
  void closed.then(() => notes.fail(new Error('the backend closed the connection')));
  return { conn, notes, socket, closed };
}

/** `initialize` + `initialized` on a socket backend with a token (and no workspace: the backend serves its own). */
export async function initializeSocket(conn: MessageConnection, token: string | undefined): Promise<unknown> {
  const result = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { window: { workDoneProgress: true } },
    initializationOptions: token === undefined ? {} : { token },
  });
  await conn.sendNotification('initialized', {});
  return result;
}

/** Imports the tiny Hugging Face BERT fixture as a run folder at `runDir` with the built CLI (`mlm import --hf`). */
export function importTinyBert(runDir: string): void {
  const imp = spawnSync(process.execPath, ['dist/cli.js', 'import', '--hf', TINY_BERT, '--out', runDir], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, MLM_BACKEND: 'wasm' },
  });
  if (imp.status !== 0) throw new Error(`mlm import --hf test/fixtures/hf-tiny-bert failed: ${imp.stderr}`);
}

/** The tiny Hugging Face BERT fixture: a fill-mask model the backend loads in a moment (mlm/loadCheckpoint). */
export const TINY_BERT = path.join(ROOT, 'test/fixtures/hf-tiny-bert');

/**
 * A backend on a fresh copy of a fixture workspace (default the protocol corpus), initialised with `init` as its
 * initializationOptions. `prepare(ws)` runs before the spawn (e.g. to import a model into the workspace); `spawn`
 * options go to spawnServer. Stop it with stopServer and remove `ws`.
 */
export async function startBackend(
  opts: {
    fixture?: string;
    spawn?: Parameters<typeof spawnServer>[0];
    init?: Record<string, unknown>;
    prepare?: (ws: string) => void;
  } = {},
): Promise<{ s: Spawned; ws: string }> {
  ensureBuilt();
  const ws = tempWorkspace(opts.fixture);
  opts.prepare?.(ws);
  const s = spawnServer(opts.spawn);
  await initialize(s, ws, opts.init);
  return { s, ws };
}

/**
 * A backend on a fresh copy of the protocol corpus, initialised (with `init` as its initializationOptions), with the
 * tiny BERT fixture loaded for fill-mask and hovers. `spawn` options go to spawnServer. Stop it with stopServer and
 * remove `ws`.
 */
export async function backendWithTinyBert(
  spawn: Parameters<typeof spawnServer>[0] = {},
  init?: Record<string, unknown>,
): Promise<{ s: Spawned; ws: string }> {
  const started = await startBackend({ spawn, init });
  await started.s.conn.sendRequest('mlm/loadCheckpoint', { path: TINY_BERT });
  return started;
}
