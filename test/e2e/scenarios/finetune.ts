// Palette → "MLM: Fine-tune…" → the pretraining run (trained by the Train MLM scenario) → reviews.csv →
// classification: the dashboard's task panel draws the confusion matrix while the run trains; then in comments.txt
// a selected line → "MLM: Classify Selection" shows a label, and hovering the selection shows every probability.
import type { Scenario } from '../harness/scenario';
import {
  closeAllEditors,
  editorLines,
  hoverWidget,
  hoverUntilShown,
  openFile,
  quickPickRows,
  runCommand,
  runCommandAndPick,
  textOf,
  until,
  webview,
} from '../harness/workbench';
import { ids } from './ids';

export const finetuneFromPalette: Scenario = {
  name: 'Fine-tune from the palette: confusion matrix, Classify Selection shows a label',
  async run({ page, shot, note }) {
    const f = ids.finetune;
    await runCommandAndPick(page, f.command, f.pretrainedRow, {
      beforePick: () => shot('pick the pretrained run'),
    });
    for (const [row, what] of [
      [f.dataRow, 'the labelled data'],
      [f.kindRow, 'the task'],
    ]) {
      const pick = quickPickRows(page).filter({ hasText: row }).first();
      await pick.waitFor({ timeout: 15_000 });
      await shot(`pick ${what}`);
      await pick.click();
    }

    const web = webview(page);
    const title = web.locator(ids.dashboard.runTitle);
    const started = await until(
      () => textOf(title),
      (t) => t.startsWith('Run ') || t.startsWith(ids.dashboard.finishedTitle),
      60_000,
      'the dashboard to show the fine-tune run',
    );
    note(`dashboard: ${started}`);

    // The task panel appears with the first evaluation: a 3 × 3 confusion matrix over the labels.
    const matrix = web.locator(f.matrix);
    await until(
      () => matrix.isVisible(),
      (v) => v,
      120_000,
      'the confusion matrix',
      { intervalMs: 250 },
    );
    const predicted = (await web.locator(f.matrixPredicted).allInnerTexts()).map((t) => t.trim());
    const counts = (await web.locator(f.matrixCounts).allInnerTexts()).map((t) => Number(t.trim()));
    note(`confusion matrix: predicted ${predicted.join(', ')}; counts ${counts.join(' ')}`);
    if (predicted.join() !== f.labels.join())
      throw new Error(`matrix columns ${predicted.join()} ≠ ${f.labels.join()}`);
    if (
      counts.length !== 9 ||
      counts.some((c) => !Number.isInteger(c)) ||
      counts.reduce((a, b) => a + b, 0) < 1
    )
      throw new Error(`the matrix should hold 9 counts of held-out reviews, got ${counts.join(' ')}`);
    await shot('confusion matrix', web.locator(f.panel));

    const finished = await until(
      () => textOf(web.locator(ids.dashboard.runDetail)),
      (t) => /^(completed|stopped|failed) at step \d+/.test(t),
      180_000,
      'the fine-tune run to finish',
    );
    note(`finished: ${finished}`);
    if (!finished.startsWith('completed')) throw new Error(`the fine-tune run did not complete: ${finished}`);
    await shot('fine-tune finished', web.locator(f.panel));

    // Classify Selection on the first line of comments.txt.
    await openFile(page, f.inputFile);
    const line = editorLines(page).first();
    const text = await textOf(line);
    await line.click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    // Hovering inside the selection shows the label and every probability (before the palette: runCommand's
    // Escape clears the selection, and Classify Selection then takes the cursor's line, the same text).
    const hover = hoverWidget(page).filter({ hasText: f.hoverHeader });
    await hoverUntilShown(page, f.hoverWord, hover, 30_000, 'the selection hover');
    note(`hover: ${await textOf(hover.first())}`);
    await shot('selection hover');

    await runCommand(page, f.classify);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: f.classifiedMessage });
    await toast.first().waitFor({ timeout: 30_000 });
    note(`classified "${text}": ${await textOf(toast.first())}`);
    await shot('Classify Selection shows a label');

    await closeAllEditors(page);
  },
};
