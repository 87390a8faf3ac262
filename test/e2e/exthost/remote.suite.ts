/**
 * The extension attached to a remote backend: `mlm serve --socket 0` started in another process on another folder
 * (with a run trained there by `mlm train`, which the extension did not start). A wrong token is refused; the right
 * one attaches and the status item names the host; the dashboard shows that run — list, history and details — which
 * exist only on the server's side, so they came over the protocol; a hover answers from the server's model; when the
 * server goes away the extension reconnects (with back-off) to the one that replaces it. Ends on the local backend.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import { activateExtension, inWorkspace, nextEvent, predictionHover, until } from './helpers';

/** Node for child processes: the extension host's own runtime (as plain Node under Electron). */
const NODE_ENV = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };

function runToExit(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd, env: NODE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}: ${out.slice(-2000)}`)),
    );
  });
}

/** Starts `mlm serve --socket PORT` and resolves with the port once it listens. */
function serve(
  cli: string,
  workspace: string,
  token: string,
  port: number,
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [cli, 'serve', '--socket', String(port), '--workspace', workspace], {
    env: { ...NODE_ENV, MLM_SERVE_TOKEN: token, MLM_GPU_POLL_MS: '1000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(err);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`mlm serve exited ${code}: ${err}`)));
  });
}

export function registerRemoteTests(): void {
  describe('MLM Studio: remote backend', function () {
    this.timeout(120_000);
    let api: MlmStudioApi;
    let cli: string;
    let remoteWs: string;
    let server: { proc: ChildProcess; port: number };
    let runId: string;
    const token = randomBytes(24).toString('base64url');
    const address = (): string => `127.0.0.1:${server.port}`;

    before(async () => {
      const activated = await activateExtension();
      api = activated.api;
      cli = path.join(activated.ext.extensionPath, 'dist', 'cli.js');
      // The server's folder: another copy of the corpus, and a run trained there by the CLI.
      remoteWs = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-remote-ws-'));
      fs.cpSync(inWorkspace('corpus').fsPath, path.join(remoteWs, 'corpus'), { recursive: true });
      await runToExit(
        [
          ...[cli, 'train', '--corpus', 'corpus', '--preset', 'tiny', '--max-steps', '8'],
          ...['--vocab-size', '100', '--seq-len', '16', '--batch-size', '4', '--name', 'remote', '--quiet'],
        ],
        remoteWs,
      );
      [runId] = fs.readdirSync(path.join(remoteWs, '.mlm', 'runs'));
      assert.match(runId, /remote/);
      server = await serve(cli, remoteWs, token, 0);
    });

    after(async () => {
      await vscode.commands.executeCommand('mlm.useLocalBackend');
      server?.proc.kill();
      fs.rmSync(remoteWs, { recursive: true, force: true });
    });

    it('refuses a wrong token and says so', async () => {
      const ok = await vscode.commands.executeCommand<boolean>('mlm.connectRemote', {
        address: address(),
        token: 'not-the-right-token-at-all',
      });
      assert.equal(ok, false);
      assert.equal(api.ctx.connection, 'stopped');
      assert.match(api.ctx.stopMessage ?? '', /refused the token.*wrong token/);
      assert.ok(api.statusText().includes(address()), api.statusText());
    });

    it('attaches with the right token; the status item names the host', async () => {
      const ok = await vscode.commands.executeCommand<boolean>('mlm.connectRemote', {
        address: address(),
        token,
      });
      assert.equal(ok, true, api.ctx.stopMessage);
      await until(
        () => api.statusText().includes(`$(remote) ${address()}`),
        20_000,
        'the host in the status item',
        [api.ctx.onDidChange],
      );
    });

    it('the dashboard shows a run the extension did not start, over the protocol', async () => {
      assert.equal(
        fs.existsSync(inWorkspace('.mlm', 'runs', runId).fsPath),
        false,
        'not in the local workspace',
      );
      await vscode.commands.executeCommand('mlm.openDashboard');
      const info = await until(
        () => {
          const d = api.dashboard();
          return (
            d.ready &&
            d.runIds.includes(runId) &&
            (d.historyRows[runId] ?? 0) > 0 &&
            d.detailsRunId === runId &&
            d
          );
        },
        30_000,
        `the dashboard to list ${runId} with its history and details`,
      );
      assert.equal(info.rejected, 0);
      assert.ok((info.posted.corpus ?? 0) > 0, 'the corpus statistics came too');
    });

    it("a hover answers from the server's model", async () => {
      const texts = await predictionHover(
        inWorkspace('mask.txt'),
        new vscode.Position(0, 21),
        'a hover with predictions from the remote backend',
      );
      assert.doesNotMatch(texts, /No model/);
    });

    it('reconnects with back-off when the server goes away and comes back', async () => {
      const port = server.port;
      const lost = nextEvent(
        api.ctx.onDidChange,
        () => api.ctx.connection === 'restarting',
        20_000,
        'the drop',
      );
      const gone = new Promise((r) => server.proc.once('exit', r));
      server.proc.kill();
      await Promise.all([lost, gone]); // the port is free again
      assert.match(api.statusText(), /reconnecting to 127\.0\.0\.1/);
      server = await serve(cli, remoteWs, token, port);
      await until(() => api.ctx.running, 60_000, 'the reconnect', [api.ctx.onDidChange]);
      assert.ok(api.statusText().includes(`$(remote) ${address()}`), api.statusText());
    });
  });
}
