/**
 * `mlm serve --socket 0` in its own process: it listens on 127.0.0.1 only, lets in a client only with its token
 * (wrong or missing token, or another message first: refused and disconnected), serves one client after another,
 * refuses request paths outside its workspace and --root folders, keeps a run training while no client is attached,
 * and refuses a second writer of a run folder (`mlm train --resume` of the run it trains) naming its pid.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { CorpusStats } from '../../protocol/corpus';
import type { ServerStatus } from '../../protocol/status';
import type { MetricsNotification, RunFinishedNotification, TrainRequest } from '../../protocol/training';
import {
  connectSocket,
  ensureBuilt,
  initializeSocket,
  ROOT,
  spawnSocketBackend,
  tempWorkspace,
  TINY_RUN,
  type SocketBackend,
} from './harness';

void describe('mlm serve --socket', { timeout: 90_000 }, () => {
  let backend: SocketBackend;
  let ws: string;
  let outside: string;

  void before(async () => {
    ensureBuilt();
    ws = tempWorkspace();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-outside-'));
    fs.writeFileSync(path.join(outside, 'run.mlm.json'), JSON.stringify(TINY_RUN));
    fs.symlinkSync(outside, path.join(ws, 'link-out'));
    backend = await spawnSocketBackend(['--workspace', ws], {
      MLM_GPU_POLL_MS: '1000',
      MLM_CORPUS_STABILITY_MS: '20',
    });
  });
  void after(() => {
    backend.proc.kill();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  void test('listens on loopback and prints a generated token', () => {
    assert.match(backend.stderr(), /listening on 127\.0\.0\.1:\d+/);
    assert.match(backend.token, /^[A-Za-z0-9_-]{43}$/);
  });

  const refusals: Array<
    [string, (c: Awaited<ReturnType<typeof connectSocket>>) => Promise<unknown>, RegExp]
  > = [
    ['a wrong token', (c) => initializeSocket(c.conn, 'not-the-token-0123456789'), /wrong token/],
    ['no token', (c) => initializeSocket(c.conn, undefined), /carries no token/],
    [
      'a request before initialize',
      (c) => c.conn.sendRequest('mlm/runs', {}),
      /first message must be initialize/,
    ],
  ];
  for (const [name, send, why] of refusals) {
    void test(`reliability: 30 socket without a token — ${name} is refused (Unauthorized) and the connection closed`, async () => {
      const c = await connectSocket(backend.port);
      await assert.rejects(
        send(c),
        (e: { code: number; message: string }) =>
          e.code === MlmErrorCodes.Unauthorized && why.test(e.message),
      );
      await c.closed;
      c.conn.dispose();
    });
  }

  void test('the right token works, for one client after another; the workspace is the server’s', async () => {
    for (let client = 1; client <= 2; client++) {
      const c = await connectSocket(backend.port);
      await initializeSocket(c.conn, backend.token);
      const st = await c.conn.sendRequest<ServerStatus>('mlm/status');
      assert.equal(st.state, 'idle', `client ${client}`);
      const corpus = await c.conn.sendRequest<CorpusStats>('mlm/corpusStats');
      assert.equal(corpus.root, ws);
      await c.conn.sendRequest('shutdown');
      await c.conn.sendNotification('exit');
      await c.closed;
      c.conn.dispose();
    }
    assert.equal(backend.proc.exitCode, null, 'still serving after two clients');
  });

  void test('paths outside the workspace and --root folders are refused (PathNotAllowed)', async () => {
    const c = await connectSocket(backend.port);
    await initializeSocket(c.conn, backend.token);
    const requests: Array<[string, string, unknown]> = [
      ['checkpoint by absolute path', 'mlm/loadCheckpoint', { path: outside }],
      ['checkpoint by ..', 'mlm/loadCheckpoint', { path: '../' }],
      ['checkpoint through a symbolic link', 'mlm/loadCheckpoint', { path: 'link-out' }],
      ['config file', 'mlm/train', { configPath: path.join(outside, 'run.mlm.json') }],
      ['run to resume', 'mlm/train', { config: TINY_RUN, resumeFrom: outside }],
      ['output folder', 'mlm/train', { config: { ...TINY_RUN, output: { dir: outside } } }],
      ['corpus folder', 'mlm/train', { config: { ...TINY_RUN, corpus: { paths: ['/etc'] } } }],
      ['init model', 'mlm/train', { config: { ...TINY_RUN, model: { ...TINY_RUN.model, init: '/usr' } } }],
    ];
    for (const [name, method, params] of requests) {
      await assert.rejects(
        c.conn.sendRequest(method, params),
        (e: { code: number; message: string }) =>
          e.code === MlmErrorCodes.PathNotAllowed && e.message.includes(ws),
        name,
      );
    }
    // Inside the workspace the path passes the check and the request fails for what it is.
    await assert.rejects(c.conn.sendRequest('mlm/loadCheckpoint', { path: 'animals.txt' }), {
      code: MlmErrorCodes.CheckpointNotFound,
    });
    c.conn.dispose();
    c.socket.destroy();
  });

  void test('a run keeps training while no client is attached; the next client sees it go on', async () => {
    const a = await connectSocket(backend.port);
    await initializeSocket(a.conn, backend.token);
    const run = await a.conn.sendRequest<TrainRequest.Result>('mlm/train', { config: TINY_RUN });
    const seen = await a.notes.next<MetricsNotification.Params>('mlm/metrics', (p) => p.runId === run.runId);
    const lastSeen = Math.max(...seen.records.map((r) => r.step));
    a.socket.destroy(); // the client goes away without a word
    await a.closed;
    a.conn.dispose();

    const b = await connectSocket(backend.port);
    await initializeSocket(b.conn, backend.token);
    const later = await b.notes.next<MetricsNotification.Params>(
      'mlm/metrics',
      (p) => p.runId === run.runId && p.records.some((r) => r.step > lastSeen),
    );
    assert.ok(later.records.length > 0);
    const st = await b.conn.sendRequest<ServerStatus>('mlm/status');
    assert.equal(st.runId, run.runId);
    const finished = b.notes.next<RunFinishedNotification.Params>(
      'mlm/runFinished',
      (p) => p.runId === run.runId,
    );
    await b.conn.sendRequest('mlm/stop', {});
    await finished;
    b.conn.dispose();
    b.socket.destroy();
  });

  void test('reliability: 31 two writers, one run — a second writer of a run folder is refused with the holder’s pid', async () => {
    const c = await connectSocket(backend.port);
    await initializeSocket(c.conn, backend.token);
    const run = await c.conn.sendRequest<TrainRequest.Result>('mlm/train', { config: TINY_RUN });
    await c.notes.next<MetricsNotification.Params>('mlm/metrics', (p) => p.runId === run.runId);
    const lockFile = path.join(run.runDir, '.lock');
    assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, backend.proc.pid);

    const cli = spawn(
      process.execPath,
      [path.join(ROOT, 'dist/cli.js'), 'train', '--resume', run.runDir, '--max-steps', '1', '--quiet'],
      { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => cli.on('exit', r));
    assert.notEqual(code, 0);
    assert.match(err, new RegExp(`being written by process ${backend.proc.pid}`));

    const finished = c.notes.next<RunFinishedNotification.Params>(
      'mlm/runFinished',
      (p) => p.runId === run.runId,
    );
    await c.conn.sendRequest('mlm/stop', {});
    await finished;
    assert.equal(fs.existsSync(lockFile), false, 'the lock is released when the run ends');
    c.conn.dispose();
    c.socket.destroy();
  });
});
