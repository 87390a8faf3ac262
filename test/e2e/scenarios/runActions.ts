// The run actions from the palette, on the runs the earlier scenarios made (the fixture's "tiny" pretraining run and
// the fine-tune run): MLM: Evaluate Run… on the held-out split and MLM: Export to Hugging Face….
import type { Page } from 'playwright-core';
import type { Scenario } from '../harness/scenario';
import { closeAllEditors, quickPickRows, runCommand, textOf } from '../harness/workbench';
import { ids } from './ids';

const a = ids.actions;

/** The notification toast whose text matches `re`, once shown; its text. */
async function toast(page: Page, re: RegExp, timeoutMs: number): Promise<string> {
  const t = page.locator('.notifications-toasts .notification-toast', { hasText: re }).first();
  await t.waitFor({ timeout: timeoutMs });
  return textOf(t);
}

/** Picks the pretraining run (its row names the fixture's preset, not "fine-tune") in the open quick pick. */
async function pickPretrainingRun(page: Page): Promise<void> {
  const row = quickPickRows(page)
    .filter({ hasText: a.pretrainedRow })
    .filter({ hasNotText: 'fine-tune' })
    .first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

export const evaluateFromPalette: Scenario = {
  name: 'Evaluate Run… on the held-out split shows accuracy, perplexity and the baseline',
  async run({ page, shot, note }) {
    await runCommand(page, a.evaluate);
    await shot('pick the run to evaluate');
    await pickPretrainingRun(page);
    const heldOut = quickPickRows(page).filter({ hasText: a.heldOutRow }).first();
    await heldOut.waitFor({ timeout: 15_000 });
    await shot('the held-out split or files');
    await heldOut.click();
    const text = await toast(page, a.evaluatedMessage, 120_000);
    note(`evaluated: ${text}`);
    const preview = page.locator('.tabs-container .tab', { hasText: a.evaluationTab }).first();
    await preview.waitFor({ timeout: 30_000 });
    await shot('the message and the Markdown report');
    await closeAllEditors(page);
  },
};

export const exportFromPalette: Scenario = {
  name: 'Export to Hugging Face… writes the run as a transformers folder',
  async run({ page, shot, note }) {
    await runCommand(page, a.export);
    await pickPretrainingRun(page);
    const input = page.locator('.quick-input-widget:not(.hidden) .quick-input-box input');
    await input.waitFor({ timeout: 15_000 });
    note(`export folder offered: ${await input.inputValue()}`);
    await shot('the export folder');
    await input.press('Enter');
    const text = await toast(page, a.exportedMessage, 60_000);
    note(`exported: ${text}`);
    await shot('the exported message');
  },
};
