/**
 * A full disk pauses the run instead of ending it: on a real 1 MiB tmpfs (mounted by the test when it runs as root;
 * else the same run with ENOSPC injected into fs.writeSync, and the test says which ran), the first checkpoint does
 * not fit, the run pauses with one message naming the folder and the space needed, no temporary file is left; once
 * space is freed and the run resumed, the save is retried and the run ends with every metric row and checkpoint.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { listCheckpoints, readMetrics, readRunStatus } from '../../../../../server/ml/checkpoint';
import { runTraining } from '../../../../../server/ml/train/run';
import { PauseGate } from '../../../../../server/worker/pauseGate';
import { syntheticWorkspace, tinyConfig } from './trainFixtures';

let ws: string;
let mnt: string;
/** Why the real tmpfs could not be used (then ENOSPC is injected), or undefined when it is mounted. */
let noTmpfs: string | undefined;

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  ws = syntheticWorkspace(3, 80);
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-tmpfs-'));
  if (process.env.MLM_TEST_INJECT_ENOSPC) noTmpfs = 'MLM_TEST_INJECT_ENOSPC is set';
  else if (process.platform !== 'linux') noTmpfs = `tmpfs needs Linux (this is ${process.platform})`;
  else if (process.getuid?.() !== 0) noTmpfs = 'mounting a tmpfs needs root';
  else {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (r.status !== 0) noTmpfs = `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  }
});
void after(() => {
  if (!noTmpfs) spawnSync('umount', [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
  fs.rmSync(ws, { recursive: true, force: true });
});

/** Every file name under dir (recursive). */
const filesUnder = (dir: string): string[] =>
  fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.basename(f));

void describe('disk full', () => {
  void test('reliability: 9 disk full — ENOSPC pauses the run with one message naming the folder and the space needed; resume continues without loss; no temp files', async (t) => {
    t.diagnostic(noTmpfs ? `injected ENOSPC (${noTmpfs})` : 'real 1 MiB tmpfs');
    const root = path.join(mnt, 'runs');
    fs.mkdirSync(root);
    // Leave ~24 KiB: the run folder's small files fit, its first checkpoint (~190 KB) does not.
    const filler = path.join(mnt, 'filler');
    let full = true;
    if (noTmpfs) {
      const writeSync = fs.writeSync.bind(fs) as (...a: unknown[]) => number;
      mock.method(fs, 'writeSync', (...a: unknown[]) => {
        const bytes = a[1] as { length?: number } | undefined;
        if (full && (bytes?.length ?? 0) > 50_000) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        return writeSync(...a);
      });
    } else {
      const free = fs.statfsSync(mnt).bavail * fs.statfsSync(mnt).bsize;
      fs.writeFileSync(filler, Buffer.alloc(free - 24 * 1024));
    }
    const gate = new PauseGate();
    const errors: string[] = [];
    const paused: string[] = [];
    const s = await runTraining(
      tinyConfig({
        training: { maxSteps: 12, evalEvery: 6 },
        checkpoint: { every: 6, keepLast: 2 },
        output: { dir: root },
      }),
      {
        cwd: ws,
        control: { waitIfPaused: () => gate.wait(), isPaused: () => gate.paused, pause: () => gate.pause() },
        callbacks: {
          onLog: (level, m) => level === 'error' && errors.push(m),
          onPhase: (phase, detail) => {
            if (phase !== 'paused') return;
            paused.push(detail ?? '');
            // No temporary file is left by the failed save; then free the space and resume.
            assert.deepEqual(
              filesUnder(root).filter((f) => f.startsWith('.tmp-')),
              [],
            );
            full = false;
            fs.rmSync(filler, { force: true });
            setImmediate(() => gate.resume());
          },
        },
      },
    );
    mock.restoreAll();
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    assert.equal(paused.length, 1, paused.join('\n'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(
      paused[0],
      /^disk full \(ENOSPC\): writing to .*checkpoints needs about [\d.,]+ [KMG]?B free \([\d.,]+ [KMG]?B free now\); free some space there \(or raise the quota\); training is paused at step 6: resume it \(MLM: Resume Training\) once there is room; nothing is lost$/,
    );
    assert.ok(paused[0].includes(path.join(s.runDir, 'checkpoints')), paused[0]);
    assert.deepEqual(
      listCheckpoints(s.runDir).map((c) => c.step),
      [6, 12],
      'the save that did not fit was written once space was freed',
    );
    assert.deepEqual(
      readMetrics(s.runDir)
        .filter((m) => m.split === 'train')
        .map((m) => m.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
      'no metric row lost',
    );
    assert.equal(readRunStatus(s.runDir)?.status, 'completed');
    assert.deepEqual(
      filesUnder(s.runDir).filter((f) => f.startsWith('.tmp-')),
      [],
    );
  });
});
