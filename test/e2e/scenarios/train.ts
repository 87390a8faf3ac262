// Palette → "MLM: Train MLM" → pick the fixture config: the dashboard opens, its loss chart gets points
// while the run trains, Pause and Resume from the dashboard take effect, the run finishes. The status
// item's texts seen meanwhile are kept for the status-bar scenario.
import type { Scenario } from '../harness/scenario';
import { quickPickRows, runCommand, statusItem, textOf, until, webview } from '../harness/workbench';
import { ids } from './ids';
import { StatusRecorder } from './statusRecorder';

/** What the training scenario saw, for the scenarios after it. */
export const trainingEvidence = { statusTexts: [] as string[], finished: false };

export const trainFromPalette: Scenario = {
  name: 'Train MLM from the palette: dashboard chart, pause, resume, finish',
  async run({ page, shot, note }) {
    const item = statusItem(page, ids.statusItem);
    const recorder = new StatusRecorder(item);
    recorder.start();
    try {
      await runCommand(page, ids.commands.train);
      const row = quickPickRows(page).filter({ hasText: ids.files.trainConfig }).first();
      await row.waitFor({ timeout: 15_000 });
      await shot('pick the run config');
      await row.click();

      const web = webview(page);
      const title = web.locator(ids.dashboard.runTitle);
      await until(
        () => textOf(title),
        (t) => t.startsWith('Run '),
        60_000,
        'the dashboard to show the run',
      );
      note(`dashboard: ${await textOf(title)}`);
      await shot('dashboard opened');

      // The loss chart leaves its "No data yet" state and draws a canvas once metrics arrive.
      const loss = web.locator(ids.dashboard.lossChart);
      await loss.locator(ids.dashboard.chartCanvas).first().waitFor({ timeout: 60_000 });
      if (await loss.locator(ids.dashboard.chartEmpty).isVisible())
        throw new Error('the loss chart still says "No data yet" after drawing');
      const early = await loss.screenshot();
      await shot('loss chart has points');

      // Pause from the dashboard: the run panel and the status item say paused.
      const pause = web.locator(ids.dashboard.pause);
      await until(
        () => pause.isEnabled(),
        (e) => e,
        30_000,
        'the Pause button to be enabled',
      );
      await pause.click();
      const detail = web.locator(ids.dashboard.runDetail);
      await until(
        () => textOf(detail),
        (t) => t.startsWith('paused'),
        30_000,
        'the run panel to say paused',
      );
      const pausedStatus = await until(
        () => textOf(item),
        (t) => ids.status.paused.test(t),
        15_000,
        'the status item to say paused',
      );
      const pausedStep = stepOf(pausedStatus);
      note(`paused: ${pausedStatus}`);
      await shot('paused');

      // Resume: training goes on past the paused step.
      await web.locator(ids.dashboard.resume).click();
      await until(
        () => textOf(detail),
        (t) => t.startsWith('training'),
        30_000,
        'the run panel to say training',
      );
      await until(
        () => textOf(item),
        (t) => (stepOf(t) ?? -1) > (pausedStep ?? 0),
        60_000,
        'steps beyond the paused one',
      );
      note(`resumed: ${await textOf(item)}`);
      await shot('resumed');

      // The run finishes: the panel goes back to "No run active" and the item to its idle text.
      await until(
        () => textOf(title),
        (t) => t === 'No run active',
        180_000,
        'the run to finish',
      );
      const idle = await until(
        () => textOf(item),
        (t) => ids.status.idle.test(t),
        30_000,
        'the status item to go idle',
      );
      note(`finished; status item: ${idle}`);
      const late = await loss.screenshot();
      if (late.equals(early))
        throw new Error('the loss chart did not change between the first points and the end of the run');
      await shot('run finished');
      trainingEvidence.finished = true;
    } finally {
      trainingEvidence.statusTexts = await recorder.stop();
      note(`status texts seen: ${trainingEvidence.statusTexts.join(' → ')}`);
    }
  },
};

function stepOf(text: string): number | undefined {
  const m = /step (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}
