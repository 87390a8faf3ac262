// Runs the same in-extension-host suite (dist/test/index.js) in desktop VS Code through
// @vscode/test-electron, on machines that can download VS Code (it downloads a build into
// ~/.cache/mlm-studio-e2e/vscode, not into the repository). Not part of CI: there, code-server runs
// the suite (test/e2e/run.ts).
// Usage: npm run test:electron   (builds first; VSCODE_VERSION=1.100.3 picks a version, default stable)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { cacheRoot, fixtureWorkspace, repoRoot } from './harness/paths';
import { resultsEnv } from './harness/exthost';

async function main(): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-electron-'));
  try {
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(fixtureWorkspace, workspace, { recursive: true });
    const results = path.join(tmp, 'results.json');
    const code = await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      cachePath: path.join(cacheRoot, 'vscode'),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'dist', 'test', 'index.js'),
      extensionTestsEnv: { [resultsEnv]: results },
      launchArgs: [
        workspace,
        '--disable-workspace-trust',
        '--disable-extensions',
        '--user-data-dir',
        path.join(tmp, 'user-data'),
      ],
    });
    if (fs.existsSync(results)) process.stdout.write(`results: ${fs.readFileSync(results, 'utf8')}\n`);
    return code;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `test:electron failed: ${err instanceof Error ? err.message : String(err)}\n` +
        'It downloads VS Code from update.code.visualstudio.com; without internet use npm run test:e2e (code-server).\n',
    );
    process.exit(1);
  },
);
