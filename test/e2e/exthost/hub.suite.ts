/**
 * MLM: Use a Hugging Face Model… against a local Hub server (test/unit/server/ml/hub/hubServer.ts) started in the extension
 * host: the backend is restarted with HF_ENDPOINT and HF_HOME pointing at it and a fresh cache, the command
 * downloads org/tiny-bert, and a hover over [MASK] answers from that model; the status names it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import type { UseHubModelRequest } from '../../../protocol/hub';
import { fixtureRepos } from '../../unit/server/ml/hub/fixtureRepos';
import { startHubServer, type HubServer } from '../../unit/server/ml/hub/hubServer';
import { EXTENSION_ID, activateExtension, hoverTexts, inWorkspace, nextEvent, until } from './helpers';

export function registerHubTests(): void {
  describe('MLM Studio: Hugging Face models', function () {
    this.timeout(90_000);
    let api: MlmStudioApi;
    let hub: HubServer;
    let home: string;
    const saved = { HF_ENDPOINT: process.env.HF_ENDPOINT, HF_HOME: process.env.HF_HOME };

    before(async () => {
      ({ api } = await activateExtension());
      const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
      hub = await startHubServer(fixtureRepos(root));
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-e2e-hf-'));
      // The backend inherits the extension host's environment when it starts.
      process.env.HF_ENDPOINT = hub.endpoint;
      process.env.HF_HOME = home;
      const old = api.ctx.serverPid;
      const restarted = nextEvent(api.ctx.onServerStarted, (pid) => pid !== old, 30_000, 'a new backend');
      await vscode.commands.executeCommand('mlm.restartServer');
      await restarted;
    });

    after(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await hub.close();
      fs.rmSync(home, { recursive: true, force: true });
    });

    it('Use a Hugging Face Model… downloads org/tiny-bert and hovers answer from it', async () => {
      const r = await vscode.commands.executeCommand<UseHubModelRequest.Result>(
        'mlm.useHubModel',
        'org/tiny-bert',
      );
      assert.ok(r, 'mlm.useHubModel resolved (see the MLM Studio output for why not)');
      assert.equal(r.repoId, 'org/tiny-bert');
      assert.equal(r.downloaded, 5);
      assert.ok(fs.existsSync(path.join(home, 'hub', 'models--org--tiny-bert', 'refs', 'main')));
      await until(
        () => api.ctx.status?.model?.runId === 'org/tiny-bert' && true,
        10_000,
        'the status to name the model',
        [api.ctx.onDidChange],
      );
      assert.equal(api.ctx.status?.model?.source, 'hub');
      assert.match(api.statusText(), /\$\(hubot\) org\/tiny-bert$/, 'the status item names the model');

      const uri = inWorkspace('mask.txt');
      await vscode.window.showTextDocument(uri);
      const texts = await until(
        async () => {
          const t = (await hoverTexts(uri, new vscode.Position(0, 21))).join('\n');
          return t.includes('command:mlm.replaceMask') && t;
        },
        20_000,
        'a hover with predictions of org/tiny-bert',
      );
      assert.doesNotMatch(texts, /No model/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}
