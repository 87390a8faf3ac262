/**
 * Lowers the scheduling priority of the calling thread only (Linux: setpriority on the thread id, which
 * os.setPriority passes through), so that a training worker yields the CPU to the main thread and the inference
 * worker: hovers and status stay fast while a run uses every core. Elsewhere it does nothing.
 */
import fs from 'node:fs';
import os from 'node:os';

/** Returns what happened, for the log. Threads started afterwards (wasm pthreads) inherit the niceness. */
export function lowerThreadPriority(nice = 10): string {
  if (process.platform !== 'linux') return 'thread priority unchanged (only lowered on Linux)';
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return 'thread priority unchanged (no thread id)';
    os.setPriority(tid, Math.max(os.getPriority(tid), nice));
    return `trainer thread ${tid} runs at nice ${os.getPriority(tid)} so that hovers stay responsive`;
  } catch (err) {
    return `thread priority unchanged: ${(err as Error).message}`;
  }
}
