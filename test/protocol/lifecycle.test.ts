/**
 * The backend survives bad input and ends with its client: malformed JSON-RPC, unknown methods, node IPC,
 * a dead parent process (processId watchdog), stdin closed, and a fatal condition reported before exit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { FatalNotification, ServerStatus } from '../../protocol/status';
import {
  ensureBuilt,
  initialize,
  spawnServer,
  stopServer,
  tempWorkspace,
  TINY_RUN,
  type Spawned,
} from './harness';

const frame = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

void describe('lifecycle and robustness', { timeout: 60_000 }, () => {
  let ws: string;
  void before(() => {
    ensureBuilt();
    ws = tempWorkspace();
  });
  void after(() => fs.rmSync(ws, { recursive: true, force: true }));

  void test('reliability: 22 malformed JSON-RPC — malformed messages, an oversized one and an unknown method leave it alive', async () => {
    const s = spawnServer({ env: { MLM_MAX_MESSAGE_BYTES: '4096' } });
    await initialize(s, ws);
    const logged = s.notes.next<{ message: string }>('window/logMessage', (p) =>
      /larger than the 4096-byte limit/.test(p.message),
    );
    s.raw('Content-Type: application/json\r\n\r\n{"jsonrpc":"2.0"}'); // no Content-Length
    s.raw(frame('{"jsonrpc": "2.0", "id": 99, "method": ')); // invalid JSON
    s.raw(frame('[1, 2, 3]')); // valid JSON, not a message
    s.raw(frame(JSON.stringify({ jsonrpc: '2.0', method: 'x', params: 'y'.repeat(10_000) }))); // over the cap
    await logged;
    await assert.rejects(s.conn.sendRequest('mlm/doesNotExist', {}), { code: -32601 });
    const st = await s.conn.sendRequest<ServerStatus>('mlm/status');
    assert.equal(st.state, 'idle');
    await stopServer(s);
    assert.equal((await s.exited).code, 0, 'shutdown + exit ends with code 0');
  });

  void test('node IPC transport', async () => {
    const s = spawnServer({ transport: 'node-ipc' });
    await initialize(s, ws);
    const st = await s.conn.sendRequest<ServerStatus>('mlm/status');
    assert.equal(st.state, 'idle');
    await stopServer(s);
    assert.equal((await s.exited).code, 0);
  });

  void test('reliability: 7 parent death — it exits when its parent process dies during training (processId watchdog)', async () => {
    // A stand-in parent: the server watches this pid, given in initialize.
    const parent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    const s = spawnServer();
    await s.conn.sendRequest('initialize', {
      processId: parent.pid,
      rootUri: `file://${ws}`,
      capabilities: {},
    });
    await s.conn.sendNotification('initialized', {});
    await s.conn.sendRequest('mlm/train', { config: TINY_RUN });
    await s.notes.next('mlm/metrics');
    parent.kill('SIGKILL');
    const { code } = await s.exited; // within the 1 s watchdog period; the test timeout catches a hang
    assert.equal(code, 1, 'exit code 1: no shutdown was received');
  });

  void test('it exits when stdin closes', async () => {
    const s = spawnServer();
    await initialize(s, ws);
    s.proc.stdin!.end();
    const { code } = await s.exited;
    assert.equal(code, 1);
    s.conn.dispose();
  });

  void test('reliability: 18 empty workspace — no folder, an empty folder, Restricted Mode: training refuses with a clear reason', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-empty-'));
    const cases: Array<{ root: string | null; trusted: boolean; code: number; message: RegExp }> = [
      { root: null, trusted: true, code: MlmErrorCodes.NoWorkspace, message: /no workspace folder is open/ },
      {
        root: empty,
        trusted: true,
        code: MlmErrorCodes.InvalidRunConfig,
        message: /no corpus files: corpus\.include .* matches no readable text file/,
      },
      {
        root: ws,
        trusted: false,
        code: MlmErrorCodes.Untrusted,
        message: /Restricted Mode: trust this workspace/,
      },
    ];
    for (const c of cases) {
      const s = spawnServer();
      await initialize(s, c.root, { trusted: c.trusted });
      await assert.rejects(
        s.conn.sendRequest('mlm/train', { config: {} }),
        (e: { code: number; message: string }) => {
          assert.equal(e.code, c.code);
          assert.match(e.message, c.message);
          return true;
        },
      );
      await stopServer(s);
    }
    fs.rmSync(empty, { recursive: true, force: true });
  });

  void test('shutdown during training stops the run and exits 0', async () => {
    const s = spawnServer();
    await initialize(s, ws);
    await s.conn.sendRequest('mlm/train', { config: TINY_RUN });
    await s.notes.next('mlm/metrics');
    await s.conn.sendRequest('shutdown'); // the run gets 1.5 s to finish its checkpoint
    await s.conn.sendNotification('exit');
    assert.equal((await s.exited).code, 0);
  });

  void test('reliability: 2 deliberate fatal exit — a broken install is reported as mlm/fatal before exit', async () => {
    const s: Spawned = spawnServer({ env: { MLM_WORKER_DIR: '/nonexistent' } });
    await initialize(s, ws);
    const fatal = await s.notes.next<FatalNotification.Params>('mlm/fatal');
    assert.match(
      fatal.message,
      /mlm-worker\.js is missing \(MLM_WORKER_DIR is set\): rebuild with `npm run build` or reinstall/,
    );
    const { code } = await s.exited;
    assert.equal(code, fatal.exitCode);
    assert.equal(code, 3);
    s.conn.dispose();
  });
});
