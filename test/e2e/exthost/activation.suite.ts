/** Activation, the command table, the status item, run-config schema diagnostics, the no-model hover. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';
import { activateExtension, hoverTexts, inWorkspace, nextEvent, until } from './helpers';

export function registerActivationTests(): void {
  describe('MLM Studio: activation', () => {
    let api: MlmStudioApi;

    before(async () => {
      ({ api } = await activateExtension());
    });

    it('activates and starts the backend', async () => {
      const { ext } = await activateExtension();
      assert.equal(ext.isActive, true);
      if (!api.ctx.running)
        await nextEvent(api.ctx.onServerStarted, () => true, 30_000, 'the backend to start');
      assert.equal(api.ctx.running, true);
      assert.ok(api.ctx.serverPid, 'the backend has a process id');
    });

    it('registers every command of package.json, from the one table', async () => {
      const { ext } = await activateExtension();
      const declared = (ext.packageJSON.contributes.commands as Array<{ command: string }>).map(
        (c) => c.command,
      );
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = declared.filter((id) => !registered.has(id));
      assert.deepEqual(missing, [], `commands declared but not registered: ${missing.join(', ')}`);
      assert.deepEqual([...api.commandIds].sort(), [...declared].sort());
    });

    it('shows the device in the status item once telemetry arrives', async () => {
      await until(() => api.ctx.gpu, 30_000, 'the first mlm/gpu notification', [api.ctx.onGpu]);
      const text = await until(
        () => {
          const t = api.statusText();
          return /^\$\(chip\) (GPU (\d+%|n\/a) · [\d.n/a]+\/[\d.n/a]+ GB|\S+ · \d+ cores?)/.test(t) && t;
        },
        10_000,
        'an idle device text in the status item',
        [api.ctx.onDidChange],
      );
      const gpu = api.ctx.gpu!;
      // The model in use, when one is loaded, follows the device (" · $(hubot) NAME").
      if (!gpu.gpus?.length) assert.match(text, new RegExp(`· ${gpu.cores} cores?( · \\$\\(hubot\\) .+)?$`));
    });

    it('reliability: 27 config validation — reports schema diagnostics for an invalid *.mlm.json', async () => {
      const uri = inWorkspace('bad.mlm.json');
      await vscode.window.showTextDocument(uri);
      const diagnostics = await until(
        () => {
          const d = vscode.languages.getDiagnostics(uri);
          return d.length >= 3 && d;
        },
        30_000,
        'diagnostics on bad.mlm.json',
        [vscode.languages.onDidChangeDiagnostics],
      );
      const text = diagnostics.map((d) => d.message).join('\n');
      assert.match(text, /bert|bigru/i, `an enum diagnostic for model.arch in:\n${text}`);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('explains on hover over [MASK] that no model is loaded yet', async () => {
      const uri = inWorkspace('mask.txt');
      await vscode.window.showTextDocument(uri);
      const texts = await until(
        async () => {
          const t = await hoverTexts(uri, new vscode.Position(0, 21));
          return t.length > 0 && t;
        },
        20_000,
        'a hover on [MASK]',
      );
      assert.match(texts.join('\n'), /No model/);
    });

    it('Run Doctor reports the compute backend in a document', async () => {
      const report = await vscode.commands.executeCommand<string>('mlm.doctor');
      assert.ok(report, 'mlm.doctor resolved with the report (see the MLM Studio output)');
      assert.match(report, /wasm/i);
      const doc = vscode.window.activeTextEditor?.document;
      assert.equal(doc?.languageId, 'markdown');
      assert.match(doc.getText(), /# MLM Studio doctor/);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('creates a run config from a preset without prompts', async () => {
      const uri = inWorkspace('created-by-test.mlm.json');
      const created = await vscode.commands.executeCommand<vscode.Uri>('mlm.newRunConfig', {
        preset: 'quick',
        uri,
        open: false,
      });
      assert.equal(created?.toString(), uri.toString());
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      assert.equal(JSON.parse(text).model.preset, 'tiny');
      await vscode.workspace.fs.delete(uri);
    });
  });
}
