/** Main-thread handle of one training worker: start, steer, observe, terminate. */
import type { Worker } from 'node:worker_threads';
import type { TfMemory } from '../../protocol/status';
import type { FromTrainer, ToTrainer, WorkerData } from './messages';
import { startWorker } from './workerScript';

export interface TrainerHostEvents {
  message(m: FromTrainer): void;
  /** The worker thread ended; `error` when it crashed (uncaught exception, out of memory). */
  exit(code: number, error?: Error): void;
}

export class TrainerHost {
  private readonly worker: Worker;
  private lastMemory: TfMemory | undefined;
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(data: Omit<WorkerData, 'role'>, events: TrainerHostEvents) {
    this.worker = startWorker('mlm-worker', { workerData: { ...data, role: 'train' } satisfies WorkerData });
    let crash: Error | undefined;
    this.worker.on('message', (m: FromTrainer) => {
      if (m.type === 'memory') this.lastMemory = m.memory;
      else events.message(m);
    });
    this.worker.on('error', (err) => (crash = err));
    this.exitPromise = new Promise((resolve) =>
      this.worker.on('exit', (code) => {
        this.exited = true;
        events.exit(code, crash);
        resolve();
      }),
    );
  }

  private send(m: ToTrainer): void {
    if (!this.exited) this.worker.postMessage(m);
  }

  start(m: Extract<ToTrainer, { type: 'start' }>): void {
    this.send(m);
  }
  pause(): void {
    this.send({ type: 'pause' });
  }
  resume(): void {
    this.send({ type: 'resume' });
  }
  /** Stops the run; with `deadline` (Date.now() ms) as a shutdown: the final save only if it finishes before it. */
  stop(deadline?: number): void {
    this.send({ type: 'stop', deadline });
  }

  /** The newest TF.js memory the worker reported, and asks for a fresh one (answered between steps). */
  memory(): TfMemory | undefined {
    this.send({ type: 'memory' });
    return this.lastMemory;
  }

  /** Resolves when the worker has exited, or false after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exited) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const done = await Promise.race([this.exitPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  /** Kills the worker now (an unfinished checkpoint is abandoned: publishing is atomic, so nothing breaks). */
  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
    await this.exitPromise;
  }
}
