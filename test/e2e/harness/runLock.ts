// One e2e run at a time on a machine: runs share test/e2e/out, and two code-servers training at once on
// 2 cores make both slow and flaky. The lock is held by a helper `flock <file> sh -c 'echo; exec cat'`
// whose stdin is our pipe: when this process ends, for whatever reason, cat sees EOF and the lock goes.
// The helper stays referenced: run.ts ends with process.exit().
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export interface RunLock {
  file: string;
  waitedSeconds: number;
}

export function acquireRunLock(file = path.join(os.tmpdir(), 'mlm-studio-e2e.lock')): Promise<RunLock> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const holder = spawn('flock', [file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const announce = setTimeout(
      () => process.stdout.write(`e2e: waiting for another e2e run to finish (lock ${file})\n`),
      1_000,
    );
    const done = () => {
      clearTimeout(announce);
      resolve({ file, waitedSeconds: Math.round((Date.now() - t0) / 1000) });
    };
    // No flock (not util-linux): run without the lock rather than not at all.
    holder.once('error', done);
    holder.stdout.once('data', done);
  });
}
