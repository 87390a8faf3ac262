/**
 * Disk full through the backend: a workspace on a real 2 MiB tmpfs (mounted by the test as root; skipped with the
 * reason elsewhere — the unit test covers the trainer with an injected ENOSPC there) filled so that the run's first
 * checkpoint does not fit. The run pauses itself: mlm/serverStatus says paused with a pauseReason naming the folder
 * and the space needed (the extension shows it once, with Resume Training); after space is freed, mlm/resume
 * continues the run, the checkpoint that did not fit is written and the run completes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServerStatus } from '../../protocol/status';
import type { MetricsNotification, RunFinishedNotification, TrainRequest } from '../../protocol/training';
import { ensureBuilt, initialize, ROOT, spawnServer, stopServer, TINY_RUN, type Spawned } from './harness';

void describe('disk full over JSON-RPC', { timeout: 120_000 }, () => {
  let mnt: string;
  let why: string | undefined;
  let s: Spawned | undefined;

  void before(() => {
    ensureBuilt();
    mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-proto-tmpfs-'));
    if (process.platform !== 'linux' || process.getuid?.() !== 0)
      why = 'mounting a tmpfs needs root on Linux';
    else {
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { encoding: 'utf8' });
      if (r.status !== 0) why = `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
    }
  });
  void after(async () => {
    if (s) await stopServer(s);
    if (!why) spawnSync('umount', [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  });

  void test('reliability: 9 disk full — the backend pauses the run with a pauseReason naming the folder; mlm/resume continues once there is room', async (t) => {
    if (why) return t.skip(why);
    fs.cpSync(path.join(ROOT, 'test/fixtures/protocol-corpus'), mnt, { recursive: true });
    s = spawnServer({ env: { MLM_CORPUS_STABILITY_MS: '20' } });
    await initialize(s, mnt);
    const run = await s.conn.sendRequest<TrainRequest.Result>('mlm/train', {
      config: {
        ...TINY_RUN,
        training: { ...TINY_RUN.training, maxSteps: 60 },
        checkpoint: { every: 6, keepLast: 3 },
      },
    });
    // Tiny steps take milliseconds: hold the run (a user's pause) while the disk is filled, so that it cannot finish
    // first. The run folder exists: leave ~24 KiB, less than a checkpoint, then let it go on.
    await s.notes.next<MetricsNotification.Params>('mlm/metrics');
    await s.conn.sendRequest('mlm/pause', { runId: run.runId });
    await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.state === 'paused' && p.phase === 'paused');
    const free = fs.statfsSync(mnt).bavail * fs.statfsSync(mnt).bsize;
    const filler = path.join(mnt, 'filler.bin');
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free - 24 * 1024)));
    await s.conn.sendRequest('mlm/resume', {});

    const paused = await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.pauseReason !== undefined);
    assert.equal(paused.state, 'paused');
    assert.match(
      paused.pauseReason!,
      /^disk full \(ENOSPC\): writing to .*checkpoints needs about .* free .*; training is paused at step \d+: resume it \(MLM: Resume Training\) once there is room; nothing is lost$/,
    );
    assert.ok(paused.pauseReason!.includes(run.runDir), paused.pauseReason);

    fs.rmSync(filler);
    const since = s.notes.all.length;
    const finished = s.notes.next<RunFinishedNotification.Params>('mlm/runFinished');
    await s.conn.sendRequest('mlm/resume', {});
    const end = await finished;
    assert.equal(end.outcome, 'completed', end.message);
    assert.equal(end.step, 60);
    const idle = await s.notes.next<ServerStatus>('mlm/serverStatus', (p) => p.state === 'idle', since);
    assert.equal(idle.pauseReason, undefined, 'the reason is cleared');
    // keepLast 3 keeps the tmpfs from filling again; the run went on past the save that did not fit.
    const pausedAt = Number(/paused at step (\d+)/.exec(paused.pauseReason!)![1]);
    assert.ok(pausedAt < 60, `paused before the end: ${pausedAt}`);
    const saved = fs.readdirSync(path.join(run.runDir, 'checkpoints'));
    assert.ok(saved.includes('step-60'));
  });
});
