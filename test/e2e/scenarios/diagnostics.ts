// An invalid run config (bad.mlm.json) gets schema diagnostics: squiggles in the editor and entries in
// the Problems panel (contributes.jsonValidation with protocol/runConfig.schema.json).
import type { Scenario } from '../harness/scenario';
import { closeAllEditors, openFile, runCommand, until } from '../harness/workbench';
import { ids } from './ids';

export const invalidConfigDiagnostics: Scenario = {
  name: 'an invalid *.mlm.json shows diagnostics',
  async run({ page, shot, note }) {
    await openFile(page, ids.files.badConfig);
    const squiggles = page.locator('.editor-group-container.active .monaco-editor .squiggly-error');
    await squiggles.first().waitFor({ timeout: 30_000 });
    await shot('squiggles in the editor');
    await runCommand(page, 'View: Toggle Problems');
    const rows = page.locator('.markers-panel .monaco-list-row');
    const texts = await until(
      async () => (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
      (t) => t.length >= 4,
      20_000,
      'the Problems panel to list the config errors',
    );
    note(`problems: ${texts.join(' | ')}`);
    await shot('problems panel');
    // bad.mlm.json has four errors: arch "gpt", seqLen 2, lr -1, batchSize "big".
    const expected = [
      /gpt|arch|allowed values/i,
      /seqLen|minimum|>=|2/i,
      /lr|minimum|-1/i,
      /batchSize|integer|number|big/i,
    ];
    const joined = texts.join('\n');
    for (const re of expected)
      if (!re.test(joined)) throw new Error(`no problem matching ${re} in: ${joined}`);
    await runCommand(page, 'View: Toggle Problems');
    await closeAllEditors(page);
  },
};
