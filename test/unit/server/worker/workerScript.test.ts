import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trainingThreads } from '../../../../server/ml/train/parallel/threads';
import { startWorker, workerScriptProblem, type WorkerEntry } from '../../../../server/worker/workerScript';

const withWorkerDir = <T>(dir: string | undefined, f: () => T): T => {
  const before = process.env.MLM_WORKER_DIR;
  if (dir === undefined) delete process.env.MLM_WORKER_DIR;
  else process.env.MLM_WORKER_DIR = dir;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.MLM_WORKER_DIR;
    else process.env.MLM_WORKER_DIR = before;
  }
};

void describe('the worker-script resolver (both bundles)', () => {
  for (const entry of ['mlm-worker', 'replica-worker'] as WorkerEntry[]) {
    void test(`${entry}: found unbundled (tsx) here; MLM_WORKER_DIR without it names the file and what to do`, () => {
      assert.equal(
        withWorkerDir(undefined, () => workerScriptProblem(entry)),
        undefined,
      );
      const problem = withWorkerDir('/nonexistent', () => workerScriptProblem(entry));
      assert.match(
        problem ?? '',
        new RegExp(`/nonexistent/${entry}\\.js is missing \\(MLM_WORKER_DIR is set\\): rebuild`),
      );
      assert.throws(() => withWorkerDir('/nonexistent', () => startWorker(entry)), /is missing/);
    });
  }
});

void describe('trainingThreads (the one place a run picks its wasm threads)', () => {
  const cases: { threads: number | null; server?: number; dp: number | 'auto'; want: number | undefined }[] =
    [
      { threads: 3, server: 2, dp: 'auto', want: 3 },
      { threads: null, server: 2, dp: 'auto', want: 2 },
      { threads: null, dp: 'auto', want: 1 },
      { threads: null, dp: 2, want: 1 },
      { threads: null, dp: 1, want: undefined },
    ];
  for (const c of cases) {
    void test(`threads ${c.threads}, server ${c.server}, dataParallel ${c.dp} → ${c.want}`, () => {
      assert.equal(
        trainingThreads({ threads: c.threads, training: { dataParallel: c.dp } }, c.server),
        c.want,
      );
    });
  }
});
