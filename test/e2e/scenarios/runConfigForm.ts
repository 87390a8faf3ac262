// The run-config form (the default editor of *.mlm.json): opening form.mlm.json shows the form; a change in the form
// is written into the text (comments and the unknown key kept, the tab dirty); an out-of-range value is refused with
// the validator's message; "Open as Text" and "MLM: Open in Form Editor" go back and forth.
import type { Scenario } from '../harness/scenario';
import {
  closeAllEditors,
  editorLines,
  openFile,
  runCommand,
  textOf,
  until,
  webview,
} from '../harness/workbench';
import { ids } from './ids';

export const runConfigFormEdits: Scenario = {
  name: 'run-config form: a field edited in the form updates the text; an out-of-range value is refused',
  async run({ page, shot, note }) {
    const f = ids.form;
    await closeAllEditors(page); // one webview on screen: the form's
    await openFile(page, f.file);
    const web = webview(page);
    const field = (key: string) => web.locator(`[data-field="${key}"]`);
    const lr = field('training.lr').locator('input');
    await until(
      () => lr.inputValue(),
      (v) => v === '0.001',
      30_000,
      'the form to show training.lr = 0.001',
    );
    const problems = await textOf(web.locator(f.problems));
    note(`problems shown: ${problems}`);
    if (!problems.includes('x-owner is not a known field'))
      throw new Error(`the form does not list the unknown key as a problem: ${problems}`);
    await shot('form opened');

    const batch = field('training.batchSize').locator('input');
    await batch.fill('32');
    await batch.press('Enter');
    await page.locator('.tabs-container .tab.active.dirty', { hasText: f.file }).waitFor({ timeout: 15_000 });
    await shot('batch size changed, tab dirty');

    await lr.fill('-1');
    await lr.press('Enter');
    const message = field('training.lr').locator('.message');
    const refused = await until(
      () => textOf(message),
      (t) => t.includes(f.lrRefused),
      15_000,
      'the lr error',
    );
    note(`lr -1: ${refused}`);
    await shot('out-of-range lr refused');

    await web.locator(f.openText).click();
    const text = await until(
      async () => (await editorLines(page).allInnerTexts()).join('\n').replace(/\u00a0/g, ' '),
      (t) => t.includes('"batchSize": 32'),
      15_000,
      'the text editor to show "batchSize": 32',
    );
    note(`text after the edits:\n${text}`);
    for (const kept of [
      '// Edited by the run-config form',
      '// kept by every edit',
      '"x-owner": "e2e"',
      '"lr": 0.001',
    ])
      if (!text.includes(kept)) throw new Error(`the text lost ${kept}:\n${text}`);
    await shot('open as text');

    await runCommand(page, f.openForm);
    await until(
      () => field('training.batchSize').locator('input').inputValue(),
      (v) => v === '32',
      30_000,
      'the form again',
    );
    await shot('back to the form');
    await closeAllEditors(page);
  },
};
