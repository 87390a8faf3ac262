// The status item tells the truth through a run: the backend's device summary when idle, the run's
// "step N/M · loss x" while it trains, the idle text again once it finished. A second short run of the
// fixture config is started from the palette and the item is sampled all along.
import type { Scenario } from '../harness/scenario';
import { runCommandAndPick, statusItem, statusText, textOf, until } from '../harness/workbench';
import { ids } from './ids';
import { StatusRecorder } from './statusRecorder';

const failed = (t: string | undefined) =>
  t && ids.status.failed.test(t) ? `the status item reports a failure: ${t}` : undefined;

export const statusBarThroughRun: Scenario = {
  name: 'the status item shows the backend, the run step, then idle',
  async run({ page, shot, note }) {
    const item = statusItem(page, ids.statusItem);
    const bar = page.locator('.part.statusbar');
    // Idle, or showing an earlier run's failure (which the new run replaces).
    const before = await until(
      () => statusText(item),
      (t) => ids.status.settled.test(t),
      30_000,
      'a settled status text',
    );
    note(`before: ${before}`);
    await shot('idle', bar);

    const recorder = new StatusRecorder(item, 50);
    recorder.start();
    let texts: string[] = [];
    try {
      await runCommandAndPick(page, ids.commands.train, ids.files.trainConfig);
      const stepText = await until(
        () => statusText(item),
        (t) => ids.status.training.test(t),
        90_000,
        'the status item to show the step',
        {
          fail: failed,
        },
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
        () => statusText(item),
        (t) => ids.status.idle.test(t),
        180_000,
        'the status item to go back to idle',
        { fail: failed },
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
