// The status item tells the truth through a run: the backend's device summary when idle, the run's
// "step N/M · loss x" while it trains, the idle text again once it finished. A second short run of the
// fixture config is started from the palette and the item is sampled all along.
import type { Scenario } from '../harness/scenario';
import { quickPickRows, runCommand, statusItem, textOf, until } from '../harness/workbench';
import { ids } from './ids';
import { StatusRecorder } from './statusRecorder';

export const statusBarThroughRun: Scenario = {
  name: 'the status item shows the backend, the run step, then idle',
  async run({ page, shot, note }) {
    const item = statusItem(page, ids.statusItem);
    const bar = page.locator('.part.statusbar');
    const idleBefore = await until(
      () => textOf(item),
      (t) => ids.status.idle.test(t),
      30_000,
      'the idle status text',
    );
    note(`idle: ${idleBefore}`);
    await shot('idle', bar);

    const recorder = new StatusRecorder(item, 50);
    recorder.start();
    let texts: string[] = [];
    try {
      await runCommand(page, ids.commands.train);
      const row = quickPickRows(page).filter({ hasText: ids.files.trainConfig }).first();
      await row.waitFor({ timeout: 15_000 });
      await row.click();
      const stepText = await until(
        () => textOf(item),
        (t) => ids.status.training.test(t),
        90_000,
        'the status item to show the step',
      );
      note(`training: ${stepText}`);
      await shot('step', bar);
      await item.hover();
      const tip = page.locator('.monaco-hover:not(.hidden)');
      await tip.waitFor({ timeout: 10_000 }).catch(() => {});
      note(`tooltip: ${await textOf(tip).catch(() => '(none)')}`);
      await shot('tooltip during run');
      await page.mouse.move(700, 400);
      await until(
        () => textOf(item),
        (t) => ids.status.idle.test(t),
        180_000,
        'the status item to go back to idle',
      );
    } finally {
      texts = await recorder.stop();
      note(`status texts seen: ${texts.join(' → ')}`);
    }
    await shot('idle again', bar);
    const firstStep = texts.findIndex((t) => ids.status.training.test(t));
    const idleAfter = texts.findIndex((t, i) => i > firstStep && ids.status.idle.test(t));
    if (firstStep < 0 || idleAfter < 0)
      throw new Error(`expected idle → step → idle, saw: ${texts.join(' → ')}`);
  },
};
