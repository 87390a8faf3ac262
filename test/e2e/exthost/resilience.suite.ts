/** The backend is restarted after it is killed, and by the Restart Backend command, without orphans. */
import assert from 'node:assert/strict';
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
  });
}
