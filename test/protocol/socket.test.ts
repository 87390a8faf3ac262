/**
 * `mlm serve --socket 0`: the headless backend listens on 127.0.0.1, serves a client, survives the client leaving
 * and serves the next one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { before, test } from 'node:test';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import type { ServerStatus } from '../../protocol/status';
import { ensureBuilt, ROOT } from './harness';

void before(() => ensureBuilt());

void test('mlm serve --socket serves one client after another', { timeout: 30_000 }, async () => {
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve', '--socket', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let err = '';
      proc.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`mlm serve exited (${code}): ${err}`)));
    });
    for (let client = 1; client <= 2; client++) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      conn.listen();
      await conn.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
      await conn.sendNotification('initialized', {});
      const st = await conn.sendRequest<ServerStatus>('mlm/status');
      assert.equal(st.state, 'idle', `client ${client}`);
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
      conn.dispose();
      socket.destroy();
    }
    assert.equal(proc.exitCode, null, 'still serving after two clients');
    assert.equal(stdout, '', 'nothing on stdout');
  } finally {
    proc.kill();
  }
});
