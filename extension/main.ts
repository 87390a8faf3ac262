/** MLM Studio extension entry: builds the context, the status item, the dashboard and the commands. */
import type * as vscode from 'vscode';
import { restoreHubModel } from './commands/hubModel';
import { commandTable, registerCommands } from './commands/table';
import { registerClassifyHover } from './commands/classify';
import { Ctx } from './context';
import { Dashboard } from './dashboard/panel';
import { notifyRunFinished, notifyRunPaused } from './runNotifications';
import { offerResumeAfterInterruption } from './commands/resumeRun';
import { StatusBar } from './status/statusBar';
import { SurpriseLens } from './surprise/lens';
import { RunConfigFormProvider } from './runConfig/formEditor';
import type { MlmStudioApi } from './api';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): MlmStudioApi {
  const c = new Ctx(context);
  ctx = c;
  const dashboard = new Dashboard(c);
  const statusBar = new StatusBar(c);
  const lens = new SurpriseLens(c);
  const commands = commandTable(c, dashboard, lens);
  const resumeOffers: string[] = [];
  context.subscriptions.push(
    c,
    dashboard,
    statusBar,
    lens,
    notifyRunFinished(c),
    notifyRunPaused(c),
    offerResumeAfterInterruption(c, resumeOffers),
    registerClassifyHover(c),
    restoreHubModel(c),
    RunConfigFormProvider.register(context.extensionUri, c.log),
    ...registerCommands(c, commands),
  );
  void c.restart(); // the first start (restart of nothing), serialised with later restarts
  return {
    commandIds: commands.map((s) => s.id),
    ctx: c,
    statusText: () => statusBar.text,
    dashboard: () => dashboard.debugInfo(),
    resumeOffers: () => [...resumeOffers],
  };
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
