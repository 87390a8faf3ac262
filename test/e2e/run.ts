// The e2e tier: provisions code-server + chromium, packages and installs the extension, runs the UI
// scenarios in one code-server window, the in-extension-host suite through the workbench's `payload`
// parameter, the restricted-mode scenario in a second code-server without workspace trust, and
// checks that nothing it started is left. Writes {passed, failed} or {skipped, reason} to
// $MLM_E2E_SUMMARY. Usage: node --import tsx test/e2e/run.ts [name-filter]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { CodeServer } from './harness/codeServer';
import { resultsEnv, runExtensionHostSuite } from './harness/exthost';
import { Log } from './harness/log';
import { outDir } from './harness/paths';
import { provision } from './harness/provision';
import { acquireRunLock } from './harness/runLock';
import { printResult, runScenario, type ScenarioResult } from './harness/scenario';
import { Session } from './harness/session';
import { summaryWritten, writeSummary } from './harness/summary';
import { packageExtension } from './harness/vsix';
import { recoverWorkbench, waitForWorkbench } from './harness/workbench';
import { ids } from './scenarios/ids';
import { mainScenarios } from './scenarios';
import { restrictedMode } from './scenarios/restricted';
import { fixtureRepos } from '../unit/server/ml/hub/fixtureRepos';
import { startHubServer, type HubServer } from '../unit/server/ml/hub/hubServer';

const exthostTimeoutMs = 180_000;

async function main(): Promise<number> {
  const runLock = await acquireRunLock();
  const t0 = Date.now();
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const log = new Log(path.join(outDir, 'e2e.log'));
  log.line(`run lock ${runLock.file} held (waited ${runLock.waitedSeconds} s)`);
  const filter = process.argv[2];
  // A filter is part of a scenario name; several parts separated by "|" select each (e.g. "Train MLM|two masks").
  const wanted = (name: string) => !filter || filter.split('|').some((f) => name.includes(f));

  const tools = provision(log);
  if (!tools.ok) {
    if (process.env.CI === 'true') {
      process.stdout.write(`e2e: tools missing with CI=true — ${tools.reason}\n`);
      writeSummary({ passed: 0, failed: 1 });
      return 1;
    }
    writeSummary({ skipped: true, reason: tools.reason });
    return 0;
  }
  process.stdout.write(`e2e: tools ready (${secs(t0)} s)\n`);

  const results: ScenarioResult[] = [];
  const record = (r: ScenarioResult) => {
    results.push(r);
    printResult(r);
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-e2e-run-'));
  const resultsFile = path.join(tmp, 'exthost-results.json');
  let session: Session | undefined;
  let hub: HubServer | undefined;
  try {
    const vsix = packageExtension(log, path.join(tmp, 'mlm-studio.vsix'));
    process.stdout.write(`e2e: extension packaged (${secs(t0)} s)\n`);
    session = new Session(log, tools.codeServerEntry, vsix);
    session.track(tmp);
    cleanupOnSignal(session);
    const browser = await session.launchBrowser();

    // 1. UI scenarios in one trusted window.
    // A local Hugging Face Hub (fixture repos) and an empty cache for *Use a Hugging Face Model…* (hubModel.ts).
    hub = await startHubServer(fixtureRepos());
    const hfHome = path.join(tmp, 'hf-home');
    const server = await session.startCodeServer({
      trust: true,
      label: 'main',
      env: { [resultsEnv]: resultsFile, HF_ENDPOINT: hub.endpoint, HF_HOME: hfHome, HF_TOKEN: '' },
    });
    const main = browser.page;
    const consoleLog = path.join(outDir, 'workbench-console.log');
    main.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        fs.appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`);
    });
    main.on('pageerror', (e) => fs.appendFileSync(consoleLog, `[pageerror] ${e.message}\n`));
    await main.goto(server.folderUrl());
    await waitForWorkbench(main);
    // The first scenario (the workbench and the backend are ready) always runs: the others need it.
    for (const s of mainScenarios.filter((s, i) => i === 0 || wanted(s.name))) {
      const r = await runScenario(s, { page: main, server, log });
      record(r);
      if (!r.ok) await recoverWorkbench(main, ids.commands.stop).catch(() => {});
    }
    await main.close();

    // 2. The in-extension-host suite, in its own window and workspace copy on the same code-server.
    if (wanted('exthost'))
      await guarded(record, 'extension-host suite', () =>
        exthostSuite(browser.context, server, resultsFile, log, results, record),
      );
    await session.stopCodeServer(server);

    // 3. Restricted mode: a second code-server without --disable-workspace-trust.
    if (wanted(restrictedMode.name)) {
      const s = session;
      await guarded(record, restrictedMode.name, async () => {
        const untrusted = await s.startCodeServer({ trust: false, label: 'restricted' });
        const page = await browser.context.newPage();
        await page.goto(untrusted.folderUrl());
        await waitForWorkbench(page);
        record(await runScenario(restrictedMode, { page, server: untrusted, log }));
        await page.close();
      });
    }
  } catch (err) {
    record({
      name: 'harness',
      ok: false,
      seconds: 0,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  } finally {
    await hub?.close();
    const leftovers = session ? await session.close() : [];
    fs.rmSync(tmp, { recursive: true, force: true });
    record({
      name: 'no process left behind',
      ok: leftovers.length === 0,
      seconds: 0,
      error: leftovers.length ? `still running after cleanup:\n${leftovers.join('\n')}` : undefined,
    });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  process.stdout.write(
    `e2e: finished in ${secs(t0)} s; screenshots in ${path.relative(process.cwd(), outDir)}\n`,
  );
  writeSummary({ passed, failed });
  return failed ? 1 : 0;
}

/**
 * code-server runs in its own session, so Ctrl+C or a CI timeout does not reach it: on SIGINT/SIGTERM
 * close the session (browsers, servers, temp folders) before exiting; on any other exit kill the groups.
 */
function cleanupOnSignal(session: Session): void {
  let closing = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (closing) return;
      closing = true;
      process.stdout.write(`e2e: ${sig}: cleaning up\n`);
      const hardStop = setTimeout(() => {
        session.killNow();
        process.exit(130);
      }, 15_000);
      void session.close().finally(() => {
        clearTimeout(hardStop);
        writeSummary({ passed: 0, failed: 1 });
        process.exit(130);
      });
    });
  }
  process.on('exit', () => session.killNow());
}

/** Runs one part of the tier; a throw becomes one failed result and the next part still runs. */
async function guarded(
  record: (r: ScenarioResult) => void,
  name: string,
  fn: () => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    record({
      name,
      ok: false,
      seconds: secs(t0),
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
}

async function exthostSuite(
  context: BrowserContext,
  server: CodeServer,
  resultsFile: string,
  log: Log,
  results: ScenarioResult[],
  record: (r: ScenarioResult) => void,
): Promise<void> {
  const t1 = Date.now();
  const suite = await runExtensionHostSuite(context, server, resultsFile, log, exthostTimeoutMs);
  for (const t of suite.tests) record({ name: `exthost: ${t.title}`, ok: t.ok, seconds: 0, error: t.error });
  // Counts reported without per-test lines (mocha's console summary) still go into the summary.
  const listedPassed = suite.tests.filter((t) => t.ok).length;
  const listedFailed = suite.tests.length - listedPassed;
  for (let i = listedPassed; i < suite.passed; i++)
    results.push({ name: `exthost #${i + 1}`, ok: true, seconds: 0 });
  for (let i = listedFailed; i < suite.failed; i++)
    results.push({ name: `exthost failure #${i + 1}`, ok: false, seconds: 0 });
  const exitMismatch = suite.exitCode !== 0 && suite.failed === 0;
  const summary = `extension-host suite: ${suite.passed} passed, ${suite.failed} failed (exit ${suite.exitCode ?? 'none'})`;
  const problem =
    suite.problem ??
    (exitMismatch
      ? `run() exited with ${suite.exitCode} but reported no failing test; see out/exthost-console.log`
      : undefined);
  // The suite's own line counts as a result only when something beyond its tests went wrong.
  if (problem) record({ name: summary, ok: false, seconds: secs(t1), error: problem });
  else process.stdout.write(`  · ${summary} (${secs(t1)} s)\n`);
}

function secs(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}

// Never end without a summary: an unexpected exit (an empty event loop, an uncaught error) is a failure.
process.on('exit', (code) => {
  if (!summaryWritten()) {
    process.stdout.write(`e2e: ended (exit ${code}) before writing its summary\n`);
    writeSummary({ passed: 0, failed: 1 });
    process.exitCode = 1;
  }
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`e2e: harness crashed: ${err instanceof Error ? err.stack : String(err)}\n`);
    writeSummary({ passed: 0, failed: 1 });
    process.exit(1);
  },
);
