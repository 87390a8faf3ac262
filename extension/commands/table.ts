/**
 * Every command of the extension, in one table. Each entry says what it needs; the registration wraps the
 * handler so that a command whose precondition does not hold (no backend, untrusted workspace) tells the user
 * what to do instead of failing somewhere deeper. package.json mirrors the table (titles, enablement, when).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../context';
import type { Dashboard } from '../dashboard/panel';
import type { SurpriseLens } from '../surprise/lens';
import {
  RUN_CONFIG_FORM_VIEW_TYPE,
  createRunConfig,
  openRunConfigForm,
  pickRunConfig,
  uriFromArg,
} from '../runConfig/files';
import { reopenRunConfig } from '../runConfig/formEditor';
import { loadCheckpoint } from './checkpoint';
import { runDoctor } from './doctor';
import { describeError } from './errors';
import { fillMaskAtCursor, replaceMask } from './fillMask';
import { exportRunCommand } from './exportRun';
import { evaluateRunCommand } from './evaluateRun';
import { importModelCommand } from './importModel';
import { coverageCommand } from './coverage';
import { compareRuns } from './compareRuns';
import { classifySelection, loadTaskModel, predictFile } from './classify';
import { finetune } from './finetune';
import { importLaunch } from './launch';
import { useHubModel } from './hubModel';
import { connectRemote, useLocalBackend } from './remote';
import { control, train } from './training';
import { resumeRun } from './resumeRun';

/** What must hold before the handler runs. */
export type Requirement = 'none' | 'backend' | 'trusted-backend';

export interface CommandSpec {
  id: string;
  requires: Requirement;
  run(args: unknown[]): Promise<unknown> | unknown;
}

export function commandTable(ctx: Ctx, dashboard: Dashboard, lens: SurpriseLens): CommandSpec[] {
  const openDashboard = (): Promise<void> => dashboard.show();
  return [
    { id: 'mlm.train', requires: 'trusted-backend', run: ([arg]) => train(ctx, openDashboard, arg) },
    {
      id: 'mlm.resumeRun',
      requires: 'trusted-backend',
      run: ([arg]) => resumeRun(ctx, openDashboard, arg),
    },
    { id: 'mlm.stop', requires: 'backend', run: () => control(ctx, 'stop') },
    { id: 'mlm.pause', requires: 'backend', run: () => control(ctx, 'pause') },
    { id: 'mlm.resume', requires: 'backend', run: () => control(ctx, 'resume') },
    { id: 'mlm.openDashboard', requires: 'none', run: () => openDashboard() },
    {
      id: 'mlm.newRunConfig',
      requires: 'none',
      run: ([arg]) => createRunConfig((arg ?? {}) as Parameters<typeof createRunConfig>[0]),
    },
    {
      id: 'mlm.editRunConfig',
      requires: 'none',
      run: async ([arg]) => {
        const uri = uriFromArg(arg) ?? (await pickRunConfig('Edit Run Configuration'));
        if (uri) await openRunConfigForm(uri);
        return uri;
      },
    },
    {
      id: 'mlm.openRunConfigAsText',
      requires: 'none',
      run: ([arg]) => reopenRunConfig(arg, 'default'),
    },
    {
      id: 'mlm.openRunConfigForm',
      requires: 'none',
      run: ([arg]) => reopenRunConfig(arg, RUN_CONFIG_FORM_VIEW_TYPE),
    },
    { id: 'mlm.finetune', requires: 'trusted-backend', run: ([arg]) => finetune(ctx, openDashboard, arg) },
    { id: 'mlm.classifySelection', requires: 'backend', run: ([arg]) => classifySelection(ctx, arg) },
    { id: 'mlm.predictFile', requires: 'backend', run: ([arg]) => predictFile(ctx, arg) },
    { id: 'mlm.loadTaskModel', requires: 'backend', run: ([arg]) => loadTaskModel(ctx, arg) },
    { id: 'mlm.fillMask', requires: 'backend', run: ([arg]) => fillMaskAtCursor(ctx, arg) },
    { id: 'mlm.loadCheckpoint', requires: 'backend', run: ([arg]) => loadCheckpoint(ctx, arg) },
    {
      id: 'mlm.importLaunch',
      requires: 'trusted-backend',
      run: ([arg]) => importLaunch(ctx, (runId) => dashboard.showRun(runId), arg),
    },
    { id: 'mlm.useHubModel', requires: 'backend', run: ([arg]) => useHubModel(ctx, arg) },
    { id: 'mlm.showLogs', requires: 'none', run: () => ctx.log.show() },
    { id: 'mlm.restartServer', requires: 'none', run: () => ctx.restart() },
    { id: 'mlm.connectRemote', requires: 'none', run: ([arg]) => connectRemote(ctx, arg) },
    { id: 'mlm.useLocalBackend', requires: 'none', run: () => useLocalBackend(ctx) },
    { id: 'mlm.doctor', requires: 'none', run: () => runDoctor(ctx) },
    { id: 'mlm.replaceMask', requires: 'none', run: ([arg]) => replaceMask(ctx, arg) },
    { id: 'mlm.showSurprisingWords', requires: 'backend', run: () => lens.toggle() },
    { id: 'mlm.exportRun', requires: 'backend', run: ([arg]) => exportRunCommand(ctx, arg) },
    { id: 'mlm.compareRuns', requires: 'backend', run: ([arg]) => compareRuns(ctx, dashboard, arg) },
    { id: 'mlm.evaluateRun', requires: 'backend', run: ([arg]) => evaluateRunCommand(ctx, arg) },
    {
      id: 'mlm.importModel',
      requires: 'trusted-backend',
      run: ([arg]) => importModelCommand(ctx, (runId) => dashboard.showRun(runId), arg),
    },
    { id: 'mlm.coverageReport', requires: 'backend', run: ([arg]) => coverageCommand(ctx, arg) },
    { id: 'mlm.replaceWord', requires: 'none', run: ([arg]) => lens.replaceWord(arg) },
  ];
}

/** Why `requires` does not hold right now, or undefined when it does. */
function unmet(ctx: Ctx, requires: Requirement): string | undefined {
  if (requires === 'trusted-backend' && !ctx.trusted) {
    return 'Training is off in Restricted Mode. Trust this workspace to train (Manage Workspace Trust).';
  }
  if (requires !== 'none' && !ctx.running) {
    return ctx.connection === 'stopped'
      ? 'The MLM backend is stopped. Run "MLM: Restart Backend"; "MLM: Show Backend Logs" says why it stopped.'
      : 'The MLM backend is still starting; try again in a moment.';
  }
  return undefined;
}

/** Registers the table. Handlers resolve with their result (tests use it); failures are shown, then resolve undefined. */
export function registerCommands(ctx: Ctx, specs: CommandSpec[]): vscode.Disposable[] {
  return specs.map((spec) =>
    vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
      const why = unmet(ctx, spec.requires);
      if (why) {
        const actions = ctx.connection === 'stopped' ? ['Restart Backend', 'Show Output'] : [];
        void vscode.window.showWarningMessage(why, ...actions).then((a) => {
          if (a === 'Restart Backend') void ctx.restart();
          if (a === 'Show Output') ctx.log.show();
        });
        return undefined;
      }
      try {
        return await spec.run(args);
      } catch (err) {
        const message = describeError(err);
        ctx.log.error(`${spec.id} failed: ${message}`);
        void vscode.window.showErrorMessage(message);
        return undefined;
      }
    }),
  );
}
