/**
 * Main-thread handle of the inference worker. Requests wait in a queue here and go to the worker one at a time,
 * so a request cancelled while waiting (a hover the user moved away from) never costs model time. If the worker
 * dies it is restarted on the next request and the last model is loaded again.
 */
import { Worker } from 'node:worker_threads';
import type { TfMemory } from '../../protocol/status';
import type {
  FromInference,
  InferenceRequest,
  InferenceResult,
  LoadedModel,
  WorkerBackend,
  WorkerData,
} from './messages';
import { workerScript } from './workerScript';

export class InferenceError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/** Thrown for a request whose caller cancelled it before the worker started on it. */
export class InferenceCancelled extends Error {}

interface Pending {
  request: InferenceRequest;
  isCancelled: () => boolean;
  resolve(r: InferenceResult): void;
  reject(e: Error): void;
}

export interface InferenceHostEvents {
  backend(b: WorkerBackend): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class InferenceHost {
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private inFlight: (Pending & { id: number }) | undefined;
  private nextId = 1;
  private lastModel: LoadedModel | undefined;
  private lastMemory: TfMemory | undefined;
  private disposed = false;

  constructor(
    private readonly data: () => Omit<WorkerData, 'role'>,
    private readonly events: InferenceHostEvents,
  ) {}

  get model(): LoadedModel | undefined {
    return this.lastModel;
  }

  /** Starts the worker (and its TF.js backend) ahead of the first request; resolves once its backend is up. */
  warmUp(): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.readyWaiters ??= []).push(resolve));
    this.ensureWorker();
    return ready;
  }
  private readyWaiters: Array<() => void> | undefined;

  async load(dir: string): Promise<LoadedModel> {
    const r = await this.request({ type: 'load', dir });
    if (r.type !== 'load') throw new Error(`inference worker answered ${r.type} to load`);
    this.lastModel = r.model;
    return r.model;
  }

  async fill(
    req: Omit<Extract<InferenceRequest, { type: 'fill' }>, 'type'>,
    isCancelled: () => boolean = () => false,
  ): Promise<Extract<InferenceResult, { type: 'fill' }>> {
    const r = await this.request({ type: 'fill', ...req }, isCancelled);
    if (r.type !== 'fill') throw new Error(`inference worker answered ${r.type} to fill`);
    return r;
  }

  /** Last known TF.js memory of the worker; asks for a fresh value (never queued behind more than one request). */
  memory(): TfMemory | undefined {
    if (this.worker && this.queue.length === 0) {
      this.request({ type: 'memory' }).then(
        (r) => r.type === 'memory' && (this.lastMemory = r.memory),
        () => undefined,
      );
    }
    return this.lastMemory;
  }

  request(request: InferenceRequest, isCancelled: () => boolean = () => false): Promise<InferenceResult> {
    if (this.disposed) return Promise.reject(new InferenceError('the backend is shutting down'));
    return new Promise((resolve, reject) => {
      const pending = { request, isCancelled, resolve, reject };
      // Fills (hovers) go ahead of queued loads and memory queries: a user is waiting on them.
      if (request.type === 'fill') {
        const firstOther = this.queue.findIndex((p) => p.request.type !== 'fill');
        this.queue.splice(firstOther === -1 ? this.queue.length : firstOther, 0, pending);
      } else this.queue.push(pending);
      this.pump();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const p of this.queue.splice(0)) p.reject(new InferenceError('the backend is shutting down'));
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private pump(): void {
    if (this.inFlight) return;
    let next = this.queue.shift();
    while (next && next.isCancelled()) {
      next.reject(new InferenceCancelled('cancelled'));
      next = this.queue.shift();
    }
    if (!next) return;
    const worker = this.ensureWorker();
    this.inFlight = { ...next, id: this.nextId++ };
    worker.postMessage({ id: this.inFlight.id, request: next.request });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerScript(), {
      workerData: { ...this.data(), role: 'infer' } satisfies WorkerData,
    });
    this.worker = w;
    w.on('message', (m: FromInference) => {
      if (m.type === 'ready') {
        for (const r of this.readyWaiters?.splice(0) ?? []) r();
        return this.events.backend(m.backend);
      }
      const p = this.inFlight;
      if (!p || p.id !== m.id) return;
      this.inFlight = undefined;
      if (m.ok) p.resolve(m.result);
      else p.reject(new InferenceError(m.message, m.code));
      this.pump();
    });
    w.on('error', (err) => this.events.log('error', `inference worker crashed: ${err.stack ?? err.message}`));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const r of this.readyWaiters?.splice(0) ?? []) r();
      const p = this.inFlight;
      this.inFlight = undefined;
      p?.reject(
        new InferenceError(`the inference worker exited (code ${code}); it restarts on the next request`),
      );
      if (this.disposed) return;
      const model = this.lastModel;
      if (model) {
        this.events.log('warn', `inference worker exited (code ${code}); reloading ${model.dir}`);
        this.load(model.dir).catch((e: unknown) =>
          this.events.log('error', `reloading ${model.dir} failed: ${String(e)}`),
        );
      }
      this.pump();
    });
    return w;
  }
}
