import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CrashPolicy, DEFAULT_CRASH_POLICY, stoppedNotice } from '../../../../extension/client/crashPolicy';

const MIN = 60_000;

void describe('CrashPolicy', () => {
  void test('reliability: 1 crash loop — restarts the first four crashes within 3 minutes, gives up on the fifth with one error and its two buttons', () => {
    const p = new CrashPolicy();
    const decisions = [0, 10, 20, 30, 40].map((s) => p.onClosed(s * 1000));
    assert.deepEqual(
      decisions.map((d) => d.action),
      ['restart', 'restart', 'restart', 'restart', 'give-up'],
    );
    const last = decisions[4];
    assert.ok(last.action === 'give-up');
    assert.deepEqual(stoppedNotice(last, DEFAULT_CRASH_POLICY), {
      status: 'The MLM backend crashed 5 times in 3 minutes and was not restarted.',
      message:
        'The MLM backend crashed 5 times in 3 minutes and was not restarted. Check the backend logs, then restart it.',
      actions: ['Show Output', 'Restart Backend'],
    });
    const fatal = stoppedNotice(
      { action: 'fatal', fatal: { message: 'MLM worker /x/mlm-worker.js is missing', exitCode: 3 } },
      DEFAULT_CRASH_POLICY,
    );
    assert.equal(fatal.status, 'The MLM backend stopped: MLM worker /x/mlm-worker.js is missing');
    assert.deepEqual(fatal.actions, ['Show Output', 'Restart Backend']);
  });

  void test('the window slides: a crash 3 minutes after the first only counts the recent ones', () => {
    const p = new CrashPolicy();
    const times = [0, 0.5 * MIN, 1 * MIN, 1.5 * MIN, 3 * MIN, 3.2 * MIN];
    const decisions = times.map((t) => p.onClosed(t));
    assert.deepEqual(
      decisions.map((d) => d.action),
      ['restart', 'restart', 'restart', 'restart', 'restart', 'give-up'],
    );
    assert.deepEqual(
      decisions.map((d) => (d.action === 'fatal' ? -1 : d.crashesInWindow)),
      [1, 2, 3, 4, 4, 5],
    );
  });

  void test('never restarts after a reported fatal, whatever the count', () => {
    const p = new CrashPolicy();
    p.reportFatal({ message: 'backend failed to load', exitCode: 3 });
    const d = p.onClosed(0);
    assert.equal(d.action, 'fatal');
    assert.equal(d.action === 'fatal' && d.fatal.message, 'backend failed to load');
  });

  void test('reset (manual restart) clears crashes and fatals', () => {
    const p = new CrashPolicy({ maxCrashes: 2, windowMs: MIN });
    p.onClosed(0);
    p.reportFatal({ message: 'x', exitCode: 1 });
    p.reset();
    assert.equal(p.onClosed(1).action, 'restart');
    assert.equal(p.onClosed(2).action, 'give-up');
  });
});
