// Restricted mode: code-server started WITHOUT --disable-workspace-trust opens the untrusted fixture
// folder; the workbench shows Restricted Mode, the MLM status item says so, and Train MLM is not offered.
import type { Scenario } from '../harness/scenario';
import { quickPickRows, statusItem, statusText, textOf, until } from '../harness/workbench';
import { ids } from './ids';

export const restrictedMode: Scenario = {
  name: 'reliability: 26 restricted mode — an untrusted folder shows training disabled',
  async run({ page, shot, note }) {
    const item = statusItem(page, ids.statusItem);
    await item.waitFor({ timeout: 60_000 });
    const text = await until(
      () => statusText(item),
      (t) => ids.status.restricted.test(t),
      30_000,
      `the status item to show restricted mode (${ids.status.restricted})`,
    );
    note(`status item: ${text}`);
    await page
      .locator('.statusbar-item', { hasText: 'Restricted Mode' })
      .first()
      .waitFor({ timeout: 10_000 });
    await shot('restricted mode status');

    // The palette lists MLM commands, but not Train MLM (enablement needs a trusted workspace).
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>MLM:');
    await quickPickRows(page)
      .filter({ hasText: ids.commands.openDashboard })
      .first()
      .waitFor({ timeout: 15_000 });
    const labels = await quickPickRows(page).allInnerTexts();
    note(`palette rows for "MLM:": ${labels.map((l) => l.split('\n')[0]).join(' | ')}`);
    await shot('palette without train');
    if (labels.some((l) => l.includes(ids.commands.train)))
      throw new Error(`"${ids.commands.train}" is offered in restricted mode: ${labels.join(' | ')}`);
    await page.keyboard.press('Escape');

    // The status item's tooltip says why training is off.
    await item.hover();
    const tip = page.locator('.monaco-hover:not(.hidden)');
    const tipText = await until(
      () => textOf(tip),
      (t) => /trust/i.test(t),
      15_000,
      'the status tooltip to explain restricted mode',
    );
    note(`tooltip: ${tipText}`);
    await shot('status tooltip explains');
  },
};
