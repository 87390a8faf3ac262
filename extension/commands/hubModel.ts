/**
 * MLM: Use a Hugging Face Model… — pick a model of the Hugging Face cache (shared with Python's transformers) or
 * type a Hub id; the backend downloads what is missing into the cache (progress, cancellable) and hovers and Fill
 * Mask use the model at once. The choice is remembered per workspace and restored when the backend starts.
 */
import * as vscode from 'vscode';
import {
  HubModelsRequest,
  HubProgressNotification,
  UseHubModelRequest,
  type HubCachedModel,
} from '../../protocol/hub';
import { formatBytes } from '../../protocol/shared/units';
import type { Ctx } from '../context';

/** workspaceState key of the model chosen here ({ model, revision? }). */
export const HUB_MODEL_KEY = 'mlm.hubModel';

/** Well-known masked LMs offered when they are not cached yet. */
export const SUGGESTED_MODELS = [
  'google-bert/bert-base-uncased',
  'google-bert/bert-base-cased',
  'google-bert/bert-base-multilingual-cased',
  'google-bert/bert-base-chinese',
  'distilbert/distilbert-base-uncased',
];

const HUB_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@[^\s@]+)?$/;

export type HubPickItem = vscode.QuickPickItem & { model?: string; revision?: string; unusable?: string };

/** The quick pick's items: cached models first (unusable ones say why), then the suggestions, then typed text. */
export function hubPickItems(cached: HubCachedModel[], typed: string): HubPickItem[] {
  const items: HubPickItem[] = [];
  const text = typed.trim();
  if (text && HUB_ID.test(text) && !cached.some((m) => m.id === text)) {
    const [model, revision] = text.split('@');
    items.push({
      label: `$(cloud-download) ${text}`,
      description: 'download from the Hugging Face Hub',
      model,
      ...(revision ? { revision } : {}),
      alwaysShow: true,
    });
  }
  if (cached.length)
    items.push({ label: 'In the Hugging Face cache', kind: vscode.QuickPickItemKind.Separator });
  for (const m of cached) {
    items.push({
      label: `${m.usable ? '$(database)' : '$(circle-slash)'} ${m.id}`,
      description: `${m.family} · ${formatBytes(m.size)} · ${m.revision}`,
      detail: m.usable ? undefined : `not usable: ${m.why ?? 'unsupported'}`,
      model: m.id,
      ...(m.revision !== 'main' && !/^[0-9a-f]{12}$/.test(m.revision) ? { revision: m.revision } : {}),
      ...(m.usable ? {} : { unusable: m.why ?? 'unsupported' }),
    });
  }
  const suggested = SUGGESTED_MODELS.filter((id) => !cached.some((m) => m.id === id));
  if (suggested.length)
    items.push({ label: 'From the Hugging Face Hub', kind: vscode.QuickPickItemKind.Separator });
  for (const id of suggested)
    items.push({ label: `$(cloud-download) ${id}`, description: 'download', model: id });
  return items;
}

async function pickHubModel(ctx: Ctx): Promise<{ model: string; revision?: string } | undefined> {
  const { models, cacheDir } = await ctx.requireClient().sendRequest(HubModelsRequest.type, {});
  const qp = vscode.window.createQuickPick<HubPickItem>();
  qp.title = 'MLM: Use a Hugging Face Model';
  qp.placeholder = `A cached model (${cacheDir}) or a Hub id such as google-bert/bert-base-uncased`;
  qp.matchOnDescription = true;
  qp.items = hubPickItems(models, '');
  const changed = qp.onDidChangeValue((v) => (qp.items = hubPickItems(models, v)));
  try {
    const picked = await new Promise<HubPickItem | undefined>((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0]));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    if (!picked?.model) return undefined;
    if (picked.unusable) {
      void vscode.window.showWarningMessage(`MLM: ${picked.model} cannot be used: ${picked.unusable}.`);
      return undefined;
    }
    return { model: picked.model, ...(picked.revision ? { revision: picked.revision } : {}) };
  } finally {
    changed.dispose();
    qp.dispose();
  }
}

/** Sends mlm/useHubModel with a cancellable notification showing the download's progress. */
async function fetchAndUse(
  ctx: Ctx,
  params: UseHubModelRequest.Params,
): Promise<UseHubModelRequest.Result | undefined> {
  const client = ctx.requireClient();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MLM: ${params.model}`, cancellable: true },
    async (progress, token) => {
      let shown = 0;
      const sub = client.onNotification(HubProgressNotification.type, (p) => {
        const pct = p.total ? (100 * p.received) / p.total : 0;
        progress.report({
          message: `downloading ${p.file} (${formatBytes(p.received)} of ${formatBytes(p.total)})`,
          increment: Math.max(0, pct - shown),
        });
        shown = Math.max(shown, pct);
      });
      progress.report({ message: 'looking it up in the Hugging Face cache and on the Hub…' });
      try {
        return await client.sendRequest(UseHubModelRequest.type, params, token);
      } catch (err) {
        if (token.isCancellationRequested) {
          void vscode.window.showInformationMessage(
            `MLM: the download of ${params.model} was cancelled; run the command again to resume it.`,
          );
          return undefined;
        }
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
}

export async function useHubModel(ctx: Ctx, arg?: unknown): Promise<UseHubModelRequest.Result | undefined> {
  const params =
    typeof arg === 'string' && arg.trim()
      ? { model: arg.trim() }
      : typeof arg === 'object' && arg !== null && typeof (arg as { model?: unknown }).model === 'string'
        ? (arg as UseHubModelRequest.Params)
        : await pickHubModel(ctx);
  if (!params) return undefined;
  const result = await fetchAndUse(ctx, params);
  if (!result) return undefined;
  await ctx.extension.workspaceState.update(HUB_MODEL_KEY, params);
  const name = result.repoId ?? params.model;
  ctx.log.info(
    `using ${name}${result.commit ? ` @ ${result.commit}` : ''} (${result.dir}) for hovers and Fill Mask`,
  );
  void vscode.window.showInformationMessage(
    `MLM: hovers and Fill Mask now use ${name}${result.downloaded ? ` (downloaded ${result.downloaded} files)` : ''}.`,
  );
  await ctx.refreshStatus();
  return result;
}

/**
 * Restores the workspace's Hub model whenever the backend starts, unless the backend already loaded a model (a
 * trained run's checkpoint): the cache normally has it, so no download happens.
 */
export function restoreHubModel(ctx: Ctx): vscode.Disposable {
  return ctx.onServerStarted(() => {
    const saved = ctx.extension.workspaceState.get<UseHubModelRequest.Params>(HUB_MODEL_KEY);
    if (!saved?.model) return;
    void (async () => {
      await ctx.refreshStatus();
      if (ctx.status?.model && ctx.status.model.source !== 'hub') return;
      try {
        const r = await ctx.requireClient().sendRequest(UseHubModelRequest.type, saved);
        ctx.log.info(`restored ${r.repoId ?? saved.model} for hovers and Fill Mask`);
        await ctx.refreshStatus();
      } catch (err) {
        ctx.log.warn(`could not restore ${saved.model}: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
  });
}
