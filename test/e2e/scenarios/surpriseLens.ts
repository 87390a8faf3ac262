// The surprise lens (the model trained by the Train MLM scenario): MLM: Show Surprising Words on a document with a
// planted typo marks it; its hover names the word and the model's alternatives; clicking one replaces the typo.
import type { Scenario } from '../harness/scenario';
import {
  closeAllEditors,
  editorLines,
  hoverUntilShown,
  hoverWidget,
  openFile,
  runCommand,
  textOf,
  until,
} from '../harness/workbench';
import { ids } from './ids';

export const surpriseLensMarksTypo: Scenario = {
  name: 'surprise lens: Show Surprising Words marks a planted typo; its hover replaces it',
  async run({ page, shot, note }) {
    await openFile(page, ids.lens.file);
    const line = editorLines(page).filter({ hasText: ids.lens.line });
    const before = await textOf(line);
    if (!before.includes(ids.lens.typo))
      throw new Error(`${ids.lens.file} has no "${ids.lens.typo}": ${before}`);
    await runCommand(page, ids.lens.command);

    const hover = hoverWidget(page).filter({ hasText: ids.lens.title });
    await hoverUntilShown(page, ids.lens.typo, hover, 60_000, `the surprise hover on "${ids.lens.typo}"`);
    const text = await textOf(hover.first());
    note(`hover: ${text}`);
    if (!text.includes(ids.lens.typo))
      throw new Error(`the surprise hover does not name "${ids.lens.typo}": ${text}`);
    await shot('typo marked, hover with alternatives');

    const links = hover.first().locator(ids.lens.replaceLinks);
    await links.first().waitFor({ timeout: 10_000 });
    const alternative = (await links.first().innerText()).trim();
    note(`first alternative: ${alternative}`);
    await links.first().click();
    const after = await until(
      () => textOf(line),
      (t) => !t.includes(ids.lens.typo),
      15_000,
      `"${ids.lens.typo}" to be replaced`,
    );
    note(`line after replace: ${after}`);
    if (after !== before.replace(ids.lens.typo, alternative))
      throw new Error(`expected "${before.replace(ids.lens.typo, alternative)}", got "${after}"`);
    await shot('typo replaced');
    await runCommand(page, ids.lens.command); // the lens off again for the scenarios after this one
    await closeAllEditors(page);
  },
};
