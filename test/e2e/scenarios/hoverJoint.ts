// Two masks in one sentence: hovering one shows the sentence's best completions found jointly (the model trained
// by the Train MLM scenario); clicking the first completion's "fill all" fills both masks in one edit.
import type { Scenario } from '../harness/scenario';
import {
  closeAllEditors,
  editorLines,
  hoverUntilShown,
  hoverWidget,
  openFile,
  textOf,
  until,
} from '../harness/workbench';
import { ids } from './ids';

export const hoverJointFill: Scenario = {
  name: 'two masks in one sentence: the hover shows joint completions and "fill all" fills both',
  async run({ page, shot, note }) {
    await openFile(page, ids.jointHover.file);
    const line = editorLines(page).first();
    const before = await textOf(line);
    if ((before.match(/\[MASK\]/g) ?? []).length !== 2)
      throw new Error(`${ids.jointHover.file}'s first line should hold two [MASK]s: ${before}`);

    const hover = hoverWidget(page).filter({ hasText: ids.jointHover.title });
    await hoverUntilShown(page, '[MASK]', hover, 60_000, 'the joint-completion hover on [MASK]');
    const firstRow = hover.first().locator('table').first().locator('tbody tr').first();
    await firstRow.waitFor({ timeout: 10_000 });
    const words = (await firstRow.locator('strong').allInnerTexts()).map((t) => t.trim());
    note(`hover: ${await textOf(hover.first())}`);
    note(`best completion's words: ${words.join(', ')}`);
    if (words.length !== 2) throw new Error(`the best completion should fill 2 masks, shows ${words.length}`);
    if (!(await hover.first().textContent())?.includes('Mask 1 of 2 on its own'))
      throw new Error("the hover does not show the hovered mask's own list");
    await shot('hover with joint completions');

    await firstRow.locator(ids.jointHover.fillAll).click();
    const after = await until(
      () => textOf(line),
      (t) => !t.includes('[MASK]'),
      15_000,
      'both [MASK]s to be replaced',
    );
    note(`line after fill all: ${after}`);
    // Each mask now holds its word. A "##" piece shows in bold without its prefix and joins the word before it
    // (spaces removed), so compare without white space.
    const expected = words.reduce((t, w) => t.replace('[MASK]', w), before);
    if (after.replace(/\s+/g, '') !== expected.replace(/\s+/g, ''))
      throw new Error(`expected "${expected}" (up to spaces), got "${after}"`);
    await shot('both masks filled');
    await closeAllEditors(page);
  },
};
