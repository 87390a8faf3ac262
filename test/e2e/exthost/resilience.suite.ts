/** The backend is restarted after it is killed, and by the Restart Backend command, without orphans. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import { activateExtension, nextEvent, until } from './helpers';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function registerResilienceTests(): void {
  describe('MLM Studio: resilience', () => {
    let api: MlmStudioApi;

    before(async () => {
      ({ api } = await activateExtension());
      if (!api.ctx.running)
        await nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start');
    });

    it('restarts the backend after its process is killed', async () => {
      const old = api.ctx.serverPid;
      assert.ok(old);
      const restarted = nextEvent(
        api.ctx.onServerStarted,
        (pid) => pid !== undefined && pid !== old,
        30_000,
        'a new backend process',
      );
      process.kill(old, 'SIGKILL');
      const pid = await restarted;
      assert.notEqual(pid, old);
      assert.equal(api.ctx.running, true);
      assert.equal(api.ctx.connection, 'running');
      await until(
        () => !/stopped|restarting/.test(api.statusText()) && true,
        10_000,
        'the status item to recover',
        [api.ctx.onDidChange],
      );
    });

    it('Restart Backend replaces the process and leaves no orphan', async () => {
      const old = api.ctx.serverPid;
      assert.ok(old);
      const restarted = nextEvent(
        api.ctx.onServerStarted,
        (pid) => pid !== undefined && pid !== old,
        30_000,
        'a new backend process',
      );
      await vscode.commands.executeCommand('mlm.restartServer');
      await restarted;
      await until(() => !isAlive(old), 5_000, `the old backend ${old} to be gone`);
      assert.equal(api.ctx.running, true);
    });

    it('reliability: 4 hung handler: Restart Backend replaces a backend whose hover handler busy-loops, on the first try, with no orphan', async () => {
      // A backend started with MLM_TEST_HANG_HOVER writes its pid to this file on the first hover, then spins its
      // main thread for ever: it answers nothing, `shutdown` included.
      const marker = path.join(os.tmpdir(), `mlm-hang-hover-${process.pid}-${Date.now()}`);
      const before = api.ctx.serverPid;
      process.env.MLM_TEST_HANG_HOVER = marker;
      let hung: number | undefined;
      try {
        const started = nextEvent(
          api.ctx.onServerStarted,
          (pid) => pid !== undefined && pid !== before,
          30_000,
          'a backend with the hang hook',
        );
        await vscode.commands.executeCommand('mlm.restartServer');
        hung = await started;
      } finally {
        delete process.env.MLM_TEST_HANG_HOVER; // the next backend starts without it
      }
      assert.ok(hung);
      try {
        const doc = await vscode.workspace.openTextDocument({
          language: 'plaintext',
          content: 'the [MASK] spins\n',
        });
        // Never answered by the spinning backend; ends when the connection goes.
        void vscode.commands
          .executeCommand('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 6))
          .then(
            () => undefined,
            () => undefined,
          );
        const spinning = await until(
          () => fs.existsSync(marker) && Number(fs.readFileSync(marker, 'utf8')),
          30_000,
          'the hover handler to start spinning',
        );
        assert.equal(spinning, hung);
        const replaced = nextEvent(
          api.ctx.onServerStarted,
          (pid) => pid !== undefined && pid !== hung,
          30_000,
          'a new backend process',
        );
        // The first Restart Backend does it: shutdown gets no answer in 2 s, the process is killed, a new one starts.
        await vscode.commands.executeCommand('mlm.restartServer');
        assert.notEqual(await replaced, hung);
        await until(() => !isAlive(hung), 5_000, `the hung backend ${hung} to be gone`);
        assert.equal(api.ctx.connection, 'running');
        assert.equal(api.ctx.running, true);
      } finally {
        fs.rmSync(marker, { force: true });
      }
    });

    it('reliability: 2 deliberate fatal exit — does not restart after the backend reports a fatal error, and names the cause', async () => {
      // The backend checks its worker bundle at start and exits with mlm/fatal when it is missing; the
      // extension host's environment reaches the backend process.
      process.env.MLM_WORKER_DIR = '/nonexistent';
      try {
        // The client's state may say "stopped" a moment before the crash handler's decision names the cause.
        const stopped = until(
          () => api.ctx.connection === 'stopped' && /MLM worker/.test(api.ctx.stopMessage ?? ''),
          30_000,
          'the client to stop on the fatal, naming it',
          [api.ctx.onDidChange],
        );
        await vscode.commands.executeCommand('mlm.restartServer');
        await stopped;
        assert.match(api.ctx.stopMessage ?? '', /MLM worker \/nonexistent\/mlm-worker\.js is missing/);
        assert.match(api.statusText(), /MLM stopped/);
        assert.equal(api.ctx.running, false);
      } finally {
        delete process.env.MLM_WORKER_DIR;
      }
      const started = nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start again');
      await vscode.commands.executeCommand('mlm.restartServer');
      await started;
      assert.equal(api.ctx.connection, 'running');
    });

    it('reliability: 1 crash loop — gives up after 5 crashes in 3 minutes with status "stopped", and starts again once the runtime is fixed', async () => {
      const config = vscode.workspace.getConfiguration('mlm');
      // The client's state may say "stopped" a moment before the crash handler's decision names the cause.
      const stopped = until(
        () => api.ctx.connection === 'stopped' && /crashed \d+ times/.test(api.ctx.stopMessage ?? ''),
        60_000,
        'the client to give up, naming the crashes',
        [api.ctx.onDidChange],
      );
      // A runtime that exits at once: every start is a crash. (Changing the setting restarts the backend.)
      await config.update('server.runtime', '/bin/false', vscode.ConfigurationTarget.Global);
      try {
        await stopped;
        assert.match(api.statusText(), /MLM stopped/);
        assert.match(api.ctx.stopMessage ?? '', /crashed 5 times in 3 minutes/);
        assert.equal(api.ctx.running, false);
        // Commands that need the backend explain instead of failing.
        assert.equal(await vscode.commands.executeCommand('mlm.stop'), undefined);
      } finally {
        const started = nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start again');
        await config.update('server.runtime', undefined, vscode.ConfigurationTarget.Global);
        await started;
      }
      assert.equal(api.ctx.running, true);
      assert.doesNotMatch(api.statusText(), /stopped/);
    });
  });
}
