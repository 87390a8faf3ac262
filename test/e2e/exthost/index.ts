/**
 * The extension-host suite: mocha inside a real VS Code extension host (code-server through the workbench's
 * `payload` parameter, or desktop VS Code through @vscode/test-electron). Bundled to dist/test/index.js.
 * Writes { passed, failed, tests: [{ title, ok, error }] } to $MLM_E2E_RESULTS when it is set; $MLM_E2E_GREP runs only
 * the tests whose title holds it.
 */
import * as fs from 'node:fs';
import Mocha from 'mocha';
import { registerActivationTests } from './activation.suite';
import { registerFinetuneTests } from './finetune.suite';
import { registerHubTests } from './hub.suite';
import { registerRemoteTests } from './remote.suite';
import { registerResilienceTests } from './resilience.suite';
import { registerResumeTests } from './resume.suite';
import { registerTrainingTests } from './training.suite';

interface TestResult {
  title: string;
  ok: boolean;
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // MLM_E2E_GREP=<part of a title> runs only the matching tests (reaches here through code-server's environment).
  if (process.env.MLM_E2E_GREP) mocha.grep(process.env.MLM_E2E_GREP);
  // The suites are bundled into this file: define mocha's globals (describe, it, ...) and register them.
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, 'exthost', mocha);
  registerActivationTests();
  registerTrainingTests();
  registerFinetuneTests();
  registerHubTests();
  registerResilienceTests();
  registerResumeTests();
  registerRemoteTests();

  const results: TestResult[] = [];
  return new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const file = process.env.MLM_E2E_RESULTS;
      const passed = results.filter((r) => r.ok).length;
      if (file) {
        fs.writeFileSync(
          file,
          JSON.stringify({ passed, failed: results.length - passed, tests: results }, null, 2),
        );
      }
      if (failures > 0) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (t: Mocha.Test) =>
      results.push({ title: t.fullTitle(), ok: true }),
    );
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (t: Mocha.Test, err: Error) =>
      results.push({ title: t.fullTitle(), ok: false, error: err.stack ?? err.message }),
    );
  });
}
