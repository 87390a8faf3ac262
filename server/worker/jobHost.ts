/**
 * Main-thread side of a job worker: starts dist/mlm-worker.js with role 'job' for one job, forwards its progress,
 * resolves with its result, and terminates the thread when the job ends — or at once when it is cancelled, so a
 * cancelled evaluation stops computing mid-batch.
 */
import type { FromJob, JobResult, JobSpec } from './jobMessages';
import type { WorkerData } from './messages';
import { startWorker } from './workerScript';

/** Thrown (rejected) when the job was cancelled. */
export class JobCancelled extends Error {}

export interface JobOptions {
  /** Backend choice of the worker ('auto', 'wasm', …; the import uses cpu whatever it says). */
  backend: string;
  progress?(message: string, fraction?: number): void;
  /** Checked when set: an aborted signal terminates the worker. */
  signal?: AbortSignal;
}

export function runJob(job: JobSpec, opts: JobOptions): Promise<JobResult> {
  if (opts.signal?.aborted) return Promise.reject(new JobCancelled('cancelled'));
  const worker = startWorker('mlm-worker', {
    workerData: { backend: opts.backend, role: 'job' } satisfies WorkerData,
  });
  return new Promise<JobResult>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      f();
      void worker.terminate();
    };
    const onAbort = (): void => finish(() => reject(new JobCancelled('cancelled')));
    opts.signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: FromJob) => {
      if (m.type === 'progress') {
        if (!settled) opts.progress?.(m.message, m.fraction);
      } else if (m.type === 'done') finish(() => resolve(m.result));
      else finish(() => reject(new Error(m.message)));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`the job worker failed: ${err.message}`))));
    worker.on('exit', (code) =>
      finish(() =>
        reject(new Error(`the job worker exited (code ${code}) before it finished; see the backend log`)),
      ),
    );
    worker.postMessage({ type: 'start', job });
  });
}
