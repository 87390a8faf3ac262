/**
 * The extension reads nothing under the runs folder: everything it shows about runs comes over the protocol
 * (mlm/runs, mlm/runMetrics, mlm/runDetails, mlm/corpusStats), which is what lets it attach to a backend on another
 * machine. Checked twice: ESLint refuses file-system access in extension/ (the rule fires on a sample), and a scan of
 * extension/ finds no fs import, no workspace.fs outside the run-config editor and the CSV export's write of the file the
 * user picked, and no run-folder file names in code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The code of a TypeScript file without its comments (a crude strip: enough for these patterns). */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

void describe('the extension reads nothing under the runs folder', () => {
  const files = sources(path.join(ROOT, 'extension'));
  const forbidden: Array<[string, RegExp, (rel: string) => boolean]> = [
    ['fs import', /from\s+['"](node:)?fs(\/promises)?['"]|require\(\s*['"](node:)?fs/, () => true],
    [
      'vscode.workspace.fs outside extension/runConfig/ and the CSV export (writes the file picked in a save dialog)',
      /workspace\.fs\b/,
      (rel) => !rel.startsWith('extension/runConfig/') && rel !== 'extension/dashboard/exportCsv.ts',
    ],
    [
      'run-folder file name in code',
      /['"`](metrics\.jsonl|run\.json|checkpoints|\.mlm\/runs)['"`/]|['"]\.mlm['"]\s*,\s*['"]runs['"]/,
      () => true,
    ],
  ];
  for (const [what, re, applies] of forbidden) {
    void test(`no ${what} in extension/`, () => {
      const hits = files
        .map((f) => path.relative(ROOT, f).split(path.sep).join('/'))
        .filter((rel) => applies(rel) && re.test(code(fs.readFileSync(path.join(ROOT, rel), 'utf8'))));
      assert.deepEqual(hits, []);
    });
  }

  const samples: Array<[string, string]> = [
    ['node:fs', "import fs from 'node:fs';\nexport const x = fs;\n"],
    ['fs/promises', "import { readFile } from 'fs/promises';\nexport const x = readFile;\n"],
    ['workspace.fs', "import * as vscode from 'vscode';\nexport const x = vscode.workspace.fs;\n"],
  ];
  void test(
    'ESLint refuses fs access in extension/ (node:fs, fs/promises, workspace.fs)',
    { timeout: 120_000 },
    async () => {
      const eslint = new ESLint({ cwd: ROOT });
      for (const [name, text] of samples) {
        const [result] = await eslint.lintText(text, {
          filePath: path.join(ROOT, 'extension/dashboard/history.ts'),
        });
        const messages = result.messages.map((m) => `${m.ruleId}: ${m.message}`);
        assert.ok(
          messages.some((m) =>
            /no-restricted-(imports|syntax).*over the protocol|no-restricted-syntax.*run files/.test(m),
          ),
          `${name}: ${messages.join('\n')}`,
        );
      }
    },
  );
});
