// Palette → "MLM: Train MLM" → pick the fixture config: the dashboard opens, its loss chart gets points
// while the run trains, Pause and Resume from the dashboard take effect, the run finishes.
import type { FrameLocator } from 'playwright-core';
import type { Scenario } from '../harness/scenario';
import { runCommandAndPick, statusItem, statusText, textOf, until, webview } from '../harness/workbench';
import { ids } from './ids';
import { StatusRecorder } from './statusRecorder';

export const trainFromPalette: Scenario = {
  name: 'Train MLM from the palette: dashboard chart, pause, resume, finish',
  async run({ page, shot, note }) {
    const item = statusItem(page, ids.statusItem);
    const recorder = new StatusRecorder(item);
    recorder.start();
    try {
      await runCommandAndPick(page, ids.commands.train, ids.files.trainConfig, {
        beforePick: () => shot('pick the run config'),
      });

      const web = webview(page);
      const title = web.locator(ids.dashboard.runTitle);
      const detail = web.locator(ids.dashboard.runDetail);
      const runFailed = runFailure(web);
      const started = await until(
        () => textOf(title),
        (t) => t.startsWith('Run '),
        60_000,
        'the dashboard to show the run',
      );
      const runId = started.slice('Run '.length);
      note(`dashboard: ${started}`);
      await shot('dashboard opened');

      // The loss chart leaves "No data yet" and draws a canvas once the first metrics arrive; then Pause at
      // once (the fixture run is short) and look at the chart while the run is paused.
      const loss = web.locator(ids.dashboard.lossChart);
      const canvas = loss.locator(ids.dashboard.chartCanvas).first();
      const pause = web.locator(ids.dashboard.pause);
      await until(
        () => canvas.isVisible(),
        (v) => v,
        90_000,
        'the loss chart to draw',
        { fail: runFailed, intervalMs: 50 },
      );
      await until(
        () => pause.isEnabled(),
        (e) => e,
        30_000,
        'the Pause button to be enabled',
        { fail: runFailed, intervalMs: 50 },
      );
      await pause.click();
      await until(
        () => textOf(detail),
        (t) => t.startsWith('paused'),
        30_000,
        'the run panel to say paused',
        {
          fail: runFailed,
        },
      );
      const pausedStatus = await until(
        () => statusText(item),
        (t) => ids.status.paused.test(t),
        15_000,
        'the status item to say paused',
      );
      const pausedStep = stepOf(pausedStatus);
      note(`paused: ${pausedStatus}; run panel: ${await textOf(web.locator('.run-panel'))}`);
      if (await loss.locator(ids.dashboard.chartEmpty).isVisible())
        throw new Error('the loss chart still says "No data yet" although it drew a canvas');
      const early = await loss.screenshot();
      await shot('paused, loss chart has points');

      // Resume: training goes on past the last step reached before the pause took hold. The fixture run is
      // short, so on a fast machine it can reach its end between two samples of the status item: progress is
      // any status text seen since Resume with a later step, or the run panel saying it completed later.
      const lastPaused = stepOf(await statusText(item)) ?? pausedStep ?? 0;
      const mark = recorder.mark();
      await web.locator(ids.dashboard.resume).click();
      await until(
        async () => [...recorder.since(mark), await statusText(item), await textOf(detail)],
        (texts) =>
          texts.some(
            (t) =>
              (ids.status.training.test(t) || /^completed at step \d+/.test(t)) &&
              (stepOf(t) ?? -1) > lastPaused,
          ),
        60_000,
        `steps beyond ${lastPaused} after Resume`,
        {
          fail: (texts) => {
            const failed = texts?.find((t) => ids.status.failed.test(t));
            return failed ? `the run failed: ${failed}` : undefined;
          },
        },
      );
      note(`resumed: ${await statusText(item)}`);
      await shot('resumed');

      // The run finishes: the panel shows it as the last run, completed (runPanel.ts renderFinished), and
      // the item goes back to its idle text.
      const runTitle = `${ids.dashboard.finishedTitle}${runId}`;
      await until(
        () => textOf(title),
        (t) => t === runTitle || t === 'No run active',
        180_000,
        'the run to finish',
        { fail: runFailed },
      );
      const outcome = await textOf(detail);
      note(`finished: ${await textOf(title)} — ${outcome}`);
      if (!/^completed at step \d+/.test(outcome) && (await textOf(title)) === runTitle)
        throw new Error(`the run did not complete: ${outcome}`);
      const idle = await until(
        () => statusText(item),
        (t) => ids.status.idle.test(t),
        30_000,
        'the status item to go idle',
      );
      note(`finished; status item: ${idle}`);
      const late = await loss.screenshot();
      if (late.equals(early))
        throw new Error('the loss chart did not change between the pause and the end of the run');
      await shot('run finished');

      // The fixture's run name and a corpus file name are HTML; the dashboard must show them as text.
      const injected = await web
        .locator('#app :is(b, img, script)')
        .evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 120)));
      if (injected.length) throw new Error(`the dashboard rendered HTML from names: ${injected.join(' | ')}`);
    } finally {
      note(`status texts seen: ${(await recorder.stop()).join(' → ')}`);
    }
  },
};

/** A `fail` check for until(): the run panel's error title and its detail. */
function runFailure(web: FrameLocator): () => Promise<string | undefined> {
  return async () => {
    const title = await textOf(web.locator(ids.dashboard.runTitle)).catch(() => '');
    if (title !== ids.dashboard.errorTitle) return undefined;
    return `the dashboard reports: ${await textOf(web.locator(ids.dashboard.runDetail)).catch(() => '?')}`;
  };
}

function stepOf(text: string): number | undefined {
  const m = /step (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}
