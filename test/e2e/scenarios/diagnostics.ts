// An invalid run config (bad.mlm.json) gets schema diagnostics: squiggles in the editor and entries in
// the Problems panel (contributes.jsonValidation with protocol/runConfig.schema.json).
import type { Scenario } from '../harness/scenario';
import { closeAllEditors, openFile, runCommand, until } from '../harness/workbench';
import { ids } from './ids';

/**
 * bad.mlm.json's four mistakes (test/fixtures/e2e-workspace/README.md) as the JSON language service words
 * them in the Problems panel's row labels: arch "gpt", seqLen 2, lr -1, batchSize "big".
 */
const expectedProblems = [
  /Valid values: .*"bert".* line 2\b/,
  /below the minimum .* line 3\b/,
  /below the exclusive minimum of 0.* line 4\b/,
  /Expected "integer".* line 4\b/,
];

export const invalidConfigDiagnostics: Scenario = {
  name: 'an invalid *.mlm.json shows diagnostics',
  async run({ page, shot, note }) {
    await openFile(page, ids.files.badConfig);
    // *.mlm.json opens in the run-config form; the squiggles are the text editor's.
    await runCommand(page, ids.form.openTextCommand);
    // JSON-schema violations are warnings in VS Code: wavy underlines of either severity count.
    const squiggles = page.locator(
      '.editor-group-container.active .monaco-editor :is(.squiggly-error, .squiggly-warning)',
    );
    const count = await until(
      () => squiggles.count(),
      (n) => n >= 4,
      30_000,
      'four squiggles in bad.mlm.json',
    );
    note(`squiggles: ${count}`);
    await shot('squiggles in the editor');

    // The status bar's problems indicator opens the Problems panel.
    await page.locator('[id="status.problems"]').click();
    const rows = page.locator('.markers-panel .monaco-list-row[aria-label]');
    const labels = await until(
      async () => await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? '')),
      (l) => l.filter((t) => /line \d+/i.test(t)).length >= 4,
      20_000,
      'the Problems panel to list four problems',
    );
    const problems = labels.filter((t) => /line \d+/i.test(t));
    note(`problems:\n  ${problems.join('\n  ')}`);
    await shot('problems panel');
    for (const re of expectedProblems)
      if (!problems.some((p) => re.test(p)))
        throw new Error(`no problem matching ${re} in:\n${problems.join('\n')}`);
    await page.locator('[id="status.problems"]').click();
    await closeAllEditors(page);
  },
};
