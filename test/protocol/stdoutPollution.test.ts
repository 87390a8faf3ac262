/**
 * Stdout pollution: the extension talks to the backend over node IPC (extension/client/createClient.ts), so a backend
 * whose stdout fills with stray text — from our code, a dependency, or a native addon writing to fd 1 — keeps
 * answering. The backend here is preloaded (NODE_OPTIONS --require) with a module that writes "hello" to fd 1 at
 * start and every 20 ms, through process.stdout and through the raw descriptor.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FillMaskRequest } from '../../protocol/inference';
import type { ServerStatus } from '../../protocol/status';
import { backendWithTinyBert, stopServer, type Spawned } from './harness';

void describe('stdout pollution', { timeout: 60_000 }, () => {
  let s: Spawned;
  let ws: string;
  let dir: string;
  let stdout = '';

  void before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-pollute-'));
    const pollute = path.join(dir, 'pollute.cjs');
    fs.writeFileSync(
      pollute,
      [
        "process.stdout.write('hello\\n');",
        "require('fs').writeSync(1, 'hello from a native addon\\n');",
        "setInterval(() => { process.stdout.write('hello\\n'); require('fs').writeSync(1, 'hello fd 1\\n'); }, 20).unref();",
      ].join('\n'),
    );
    ({ s, ws } = await backendWithTinyBert({
      transport: 'node-ipc',
      env: { NODE_OPTIONS: `--require ${pollute}` },
    }));
    s.proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  void test('reliability: 3 stdout pollution — over node IPC a backend writing "hello" to fd 1 keeps answering', async () => {
    const status = await s.conn.sendRequest<ServerStatus>('mlm/status');
    assert.equal(typeof status.state, 'string');
    for (let i = 0; i < 5; i++) {
      const fill = await s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', {
        text: 'the cat sat on the [MASK] .',
      });
      assert.equal(fill.masks.length, 1);
    }
    assert.match(stdout, /hello from a native addon/);
    assert.ok(
      stdout.split('\n').filter((l) => l.startsWith('hello')).length >= 3,
      'the pollution kept going',
    );
    assert.equal(s.proc.exitCode, null, 'still running');
  });
});
