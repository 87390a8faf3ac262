/**
 * Kill anywhere: a child that only publishes checkpoints (publishChild.ts, bundled once so that each start takes
 * milliseconds) is SIGKILLed 120 times, at crash point k = 1…45 in turn (MLM_CRASH_AT: mid-file and after each file, before the folder
 * rename, before the marker, before best.json's rename, during rotation). After each kill, the next start's view of
 * the run — newestUsableCheckpoint with cleaning, as a resume does — never throws, is the newest complete checkpoint,
 * is never older than before the kill (the previous one is never lost), loads with every number equal to its step,
 * and leaves no temporary or unmarked folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildSync } from 'esbuild';
import {
  checkpointsDir,
  isComplete,
  newestUsableCheckpoint,
  readBest,
  readOptimizer,
  readWeights,
} from '../../../../../server/ml/checkpoint';

const KILLS = 120;
/** Crash points k cycle through 1…CYCLE: each child saves at most ~3 checkpoints (~15 points each) before its kill. */
const CYCLE = 45;
// A memory file system where there is one (/dev/shm): the saves' fsyncs cost nothing there, so 120 children take
// seconds; the crash points and the file operations are the same as on a disk.
const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const tmp = fs.mkdtempSync(path.join(base, 'mlm-kill-'));
void after(() => fs.rmSync(tmp, { recursive: true, force: true }));

void describe('kill anywhere', () => {
  void test(`reliability: 8 SIGKILL mid-checkpoint — killed at ${KILLS} points of publishing, every next start resumes from the newest complete checkpoint, none lost, temp folders cleaned, never throws`, () => {
    const child = path.join(tmp, 'publishChild.js');
    buildSync({
      entryPoints: [path.join(__dirname, 'publishChild.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: child,
      logLevel: 'error',
    });
    const runDir = path.join(tmp, 'run');
    fs.mkdirSync(runDir);
    let newest = 0;
    const where = new Map<string, number>();
    for (let i = 0; i < KILLS; i++) {
      const k = (i % CYCLE) + 1;
      const r = spawnSync(process.execPath, [child, runDir], {
        env: { ...process.env, MLM_CRASH_AT: String(k) },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(
        r.signal,
        'SIGKILL',
        `kill ${i + 1} at point ${k}: the child died at its crash point (${r.stderr})`,
      );
      const point = /crash point \d+: (.*)/.exec(r.stderr)?.[1] ?? '?';
      const kind = point.replace(/step-\d+/, 'step-N');
      where.set(kind, (where.get(kind) ?? 0) + 1);

      // The next start, as a resume sees the run.
      const ck = newestUsableCheckpoint(runDir, { clean: true });
      if (newest > 0) assert.ok(ck, `kill ${i + 1} at point ${k} (${point}): a complete checkpoint is left`);
      if (!ck) continue;
      assert.ok(
        ck.step >= newest,
        `kill ${i + 1} at point ${k} (${point}): step ${ck.step} is older than ${newest}`,
      );
      newest = ck.step;
      for (const t of [...readWeights(ck.dir).values(), ...readOptimizer(ck.dir).values()]) {
        assert.ok(
          t.data.every((v) => v === ck.step),
          `kill ${i + 1} at point ${k} (${point}): step-${ck.step} holds another step's numbers`,
        );
      }
      const left = fs.readdirSync(checkpointsDir(runDir));
      for (const e of left) {
        if (e === 'best.json') continue;
        assert.ok(/^step-\d+$/.test(e), `kill ${i + 1} at point ${k} (${point}): ${e} was not cleaned`);
        assert.ok(
          isComplete(path.join(checkpointsDir(runDir), e)),
          `kill ${i + 1} at point ${k} (${point}): ${e} has no marker`,
        );
      }
      const best = readBest(runDir);
      if (best) assert.ok(isComplete(best.dir));
    }
    assert.ok(newest >= 5, `the children saved ${newest} steps`);
    const kinds = [...where.keys()].join('\n');
    for (const kind of [
      /^mid-file model\.safetensors/m,
      /^after file optimizer\.safetensors/m,
      /^mid-file state\.json/m,
      /^before the folder rename/m,
      /^before the marker/m,
      /^after file COMPLETE/m,
      /^before rename to best\.json/m,
      /^rotation: step-N marker removed/m,
    ]) {
      assert.match(kinds, kind);
    }
  });
});
