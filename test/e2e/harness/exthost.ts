// Runs the in-extension-host mocha suite (dist/test/index.js, entry test/e2e/exthost/index.ts) inside
// code-server through the workbench's `payload` query parameter, exactly as VS Code's extension
// development host would: the workbench calls window.codeAutomationExit(code) when run() settles.
// Per-test results come from the results file whose path code-server's environment carries
// (MLM_E2E_RESULTS), else from mocha's "N passing / N failing" lines on the browser console.
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { CodeServer } from './codeServer';
import type { Log } from './log';
import { fixtureWorkspace, outDir, repoRoot } from './paths';

/** Environment variable naming the JSON file the suite writes (see docs/e2e.md for its shape). */
export const resultsEnv = 'MLM_E2E_RESULTS';

export interface SuiteTest {
  title: string;
  ok: boolean;
  error?: string;
}

export interface SuiteResult {
  exitCode: number | undefined;
  passed: number;
  failed: number;
  tests: SuiteTest[];
  /** Why the counts could not be read, when they could not. */
  problem?: string;
}

interface ResultsFile {
  passed?: number;
  failed?: number;
  tests?: SuiteTest[];
}

export function suiteUrl(server: CodeServer, folder: string, extensionRoot: string): string {
  const authority = `127.0.0.1:${server.port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${extensionRoot}`],
    [
      'extensionTestsPath',
      `vscode-remote://${authority}${path.join(extensionRoot, 'dist', 'test', 'index.js')}`,
    ],
  ];
  return server.folderUrl(folder, `&payload=${encodeURIComponent(JSON.stringify(payload))}`);
}

export async function runExtensionHostSuite(
  context: BrowserContext,
  server: CodeServer,
  resultsFile: string,
  log: Log,
  timeoutMs: number,
  extensionRoot = repoRoot,
): Promise<SuiteResult> {
  const bundle = path.join(extensionRoot, 'dist', 'test', 'index.js');
  if (!fs.existsSync(bundle))
    throw new Error(
      `${bundle} is missing: test/e2e/exthost/index.ts must exist and node .ci/build.mjs must have run`,
    );
  fs.rmSync(resultsFile, { force: true });
  // A fresh copy of the fixture: the UI scenarios' runs must not leak into the suite's workspace.
  const folder = path.join(server.runDir, 'workspace-exthost');
  fs.cpSync(fixtureWorkspace, folder, { recursive: true });

  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  let exit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  await page.exposeFunction('codeAutomationExit', (code: number) => {
    exit(code);
  });
  const url = suiteUrl(server, folder, extensionRoot);
  log.line(`extension-host suite: ${url}`);
  let exitCode: number | undefined;
  try {
    await page.goto(url);
    exitCode = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs)),
    ]);
    await page.screenshot({ path: path.join(outDir, 'exthost-suite.png') }).catch(() => {});
  } finally {
    fs.writeFileSync(path.join(outDir, 'exthost-console.log'), consoleLines.join('\n') + '\n');
    await page.close().catch(() => {});
  }
  return readResults(exitCode, resultsFile, consoleLines, timeoutMs);
}

function readResults(
  exitCode: number | undefined,
  resultsFile: string,
  consoleLines: string[],
  timeoutMs: number,
): SuiteResult {
  const timedOut =
    exitCode === undefined ? `the suite did not finish within ${timeoutMs / 1000} s` : undefined;
  if (fs.existsSync(resultsFile)) {
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as ResultsFile;
    const tests = r.tests ?? [];
    const passed = r.passed ?? tests.filter((t) => t.ok).length;
    const failed = r.failed ?? tests.filter((t) => !t.ok).length;
    return { exitCode, passed, failed, tests, problem: timedOut };
  }
  // mocha's spec reporter through the extension host's console: "  3 passing (2s)", or the unformatted
  // "%d passing (%s) 3 2s" when the browser console receives the format string and its arguments.
  const text = consoleLines.join('\n');
  const passing = /(\d+) passing/.exec(text) ?? /%d passing \(%s\) (\d+)/.exec(text);
  const failing = /(\d+) failing/.exec(text) ?? /%d failing (\d+)/.exec(text);
  if (passing || failing) {
    return {
      exitCode,
      passed: Number(passing?.[1] ?? 0),
      failed: Number(failing?.[1] ?? 0),
      tests: [],
      problem: timedOut,
    };
  }
  return {
    exitCode,
    passed: 0,
    failed: 0,
    tests: [],
    problem:
      timedOut ??
      `the suite exited with code ${exitCode} but reported no results (no ${resultsFile}, no mocha summary on the console)`,
  };
}
