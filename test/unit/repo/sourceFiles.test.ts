/**
 * Rules for the source tree itself: a source file longer than 300 lines says why at its top, and nothing in the
 * repository points to a path outside it (the team's notes live outside; what the repo needs is in docs/).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const MAX_LINES = 300;
/** The phrase a longer file's header comment uses to give its reason. */
const REASON = 'Over 300 lines:';

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && !f.startsWith('test/fixtures/') && fs.existsSync(path.join(ROOT, f)));
const sources = tracked.filter((f) => /\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts'));

void describe('source files', () => {
  void test(`a source file over ${MAX_LINES} lines gives its reason ("${REASON}") in its first 40 lines`, () => {
    const long = sources
      .map((f) => ({ f, lines: fs.readFileSync(path.join(ROOT, f), 'utf8').replace(/\n$/, '').split('\n') }))
      .filter(({ lines }) => lines.length > MAX_LINES)
      .filter(({ lines }) => !lines.slice(0, 40).some((l) => l.includes(REASON)))
      .map(({ f, lines }) => `${f} (${lines.length} lines)`);
    assert.deepEqual(long, [], 'split these files, or say at the top why one file is right');
  });

  void test('nothing points to a path outside the repository (the shared team notes, absolute workplace paths)', () => {
    const text = tracked.filter((f) => /\.(ts|mjs|md|json|py|sh)$/.test(f) || f.startsWith('.ci/'));
    const outside = /(^|[\s`'"(])(\.\.\/shared\/|\/work\/)/;
    const found = text.flatMap((f) =>
      fs
        .readFileSync(path.join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((l, i) => (outside.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [])),
    );
    assert.deepEqual(found, []);
  });
});
