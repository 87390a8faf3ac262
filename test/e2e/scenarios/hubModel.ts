// MLM: Use a Hugging Face Model… against the local Hub server the runner starts (test/e2e/run.ts: HF_ENDPOINT and
// a fresh HF_HOME): a Hub id typed in the quick pick downloads with a progress notification, the status item names
// the model, and a hover over [MASK] answers from that RoBERTa (its own mask is <mask>: [MASK] is mapped onto it).
import type { Scenario } from '../harness/scenario';
import {
  closeAllEditors,
  hoverUntilShown,
  hoverWidget,
  openFile,
  quickPickRows,
  runCommand,
  statusItem,
  statusText,
  textOf,
  until,
} from '../harness/workbench';
import { ids } from './ids';

export const useHubModel: Scenario = {
  name: 'Use a Hugging Face Model… downloads it and a hover answers from it',
  async run({ page, shot, note }) {
    const model = ids.hub.model;
    await runCommand(page, ids.commands.useHubModel);
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(model);
    const row = quickPickRows(page).filter({ hasText: model }).first();
    await row.waitFor({ timeout: 15_000 });
    await shot('the quick pick offers the typed Hub id');
    await row.click();

    const item = statusItem(page, ids.statusItem);
    const text = await until(
      () => statusText(item),
      (t) => t.includes(model),
      60_000,
      `the status item to name ${model}`,
    );
    note(`status: ${text}`);
    await shot('the status item names the Hub model', item);

    await openFile(page, ids.files.hubMask);
    const hover = hoverWidget(page).filter({ hasText: ids.hover.title });
    await hoverUntilShown(page, '[MASK]', hover, 60_000, `a fill-mask hover from ${model}`);
    await hover.first().locator(ids.hover.replaceLinks).first().waitFor({ timeout: 10_000 });
    const shown = await textOf(hover.first());
    note(`hover: ${shown}`);
    if (!shown.includes(model)) throw new Error(`the hover does not name ${model}: ${shown}`);
    if (/Ġ|▁/.test(shown)) throw new Error(`the hover shows raw byte-level / sentencepiece tokens: ${shown}`);
    await shot('the hover answers from the Hub model');
    await closeAllEditors(page);
  },
};
