/**
 * Main-thread handle of the inference worker. Requests wait in a queue here and the worker gets one message at a
 * time, so a request cancelled while waiting (a hover the user moved away from) never costs model time. Fills that
 * queue up while the worker is busy go to it together as one `fillBatch` (cancelled ones dropped first) and each
 * caller gets its own answer. If the worker dies it is restarted on the next request and the last model is loaded
 * again. `generation` counts model changes (every load, every worker restart), so answers can be cached per model.
 *
 * Nothing waits for ever (reliability row 4): a fill not answered within `fillDeadlineMs` fails with
 * MlmErrorCodes.Busy naming what the worker is doing (a hover shows "model busy"), and a worker that has not answered
 * one message within `watchdogMs` (a load: LOAD_WATCHDOG_FACTOR times that) is stuck: it is terminated and a fresh one
 * started with the last models, and every request it held or that waited behind it fails with
 * MlmErrorCodes.InferenceRestarted naming the stuck request.
 *
 * Over 300 lines: the queue, its fill batching, the deadlines and the worker's lifecycle (start, exit, watchdog
 * restart, reload) are one state machine over the same fields (queue, inFlight, worker); split, each part would
 * have to know the others' invariants.
 */
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { TfMemory } from '../../protocol/status';
import type {
  FillAnswer,
  FillParams,
  FromInference,
  InferenceRequest,
  InferenceResult,
  LoadedModel,
  ToInference,
  WorkerBackend,
  WorkerData,
} from './messages';
import { inferenceFailure } from './messages';
import { startWorker } from './workerScript';
import { DEFAULT_SETTINGS } from '../../protocol/settings';
import type { TaskModelInfo, TaskPrediction } from '../../protocol/shared/taskPrediction';

const SHUTTING_DOWN = 'the backend is shutting down';

/** A load (`load`, `loadTask`) may take this many times the watchdog's deadline before the worker counts as stuck. */
export const LOAD_WATCHDOG_FACTOR = 10;

/** The deadlines of the inference queue (from the `mlm.inference.*` settings). */
export interface InferenceLimits {
  /** A fill (hover, mlm/fillMask, mlm/fillMaskAt) not answered in this time fails with MlmErrorCodes.Busy. */
  fillDeadlineMs: number;
  /** A worker that has not answered a message in this time (loads: LOAD_WATCHDOG_FACTOR×) is restarted. */
  watchdogMs: number;
}

export const DEFAULT_INFERENCE_LIMITS: InferenceLimits = {
  fillDeadlineMs: DEFAULT_SETTINGS.inference.deadlineSeconds * 1000,
  watchdogMs: DEFAULT_SETTINGS.inference.watchdogSeconds * 1000,
};

/** Thrown for a request whose caller cancelled it before the worker started on it. */
export class InferenceCancelled extends Error {}

/** At most this many fills go to the worker in one message (a load waiting behind them is not starved). */
export const MAX_FILL_BATCH = 16;

/** Replies that leave the worker's fill-mask model as it was; any other reply starts a new model generation. */
const READ_ONLY = new Set<InferenceResult['type']>([
  'fill',
  'fillBatch',
  'memory',
  'loadTask',
  'predict',
  'surprise',
]);

/** A fill's answer and the model generation that computed it. */
export type FillResult = { type: 'fill' } & FillAnswer & { generation: number };

interface Pending {
  request: InferenceRequest;
  isCancelled: () => boolean;
  resolve(r: { result: InferenceResult; generation: number }): void;
  reject(e: Error): void;
}

/** What one message to the worker carries: one request, or the fills of a batch in item order. */
interface InFlight {
  id: number;
  items: Pending[];
  batch: boolean;
  generation: number;
  /** The watchdog of this message: fires when the worker has not answered it in time. */
  watchdog: NodeJS.Timeout;
}

/** The part of node's Worker the host uses (tests pass a fake). */
export interface InferenceWorker {
  postMessage(m: ToInference): void;
  terminate(): Promise<unknown>;
  on(event: 'message', listener: (m: FromInference) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

export interface InferenceHostEvents {
  backend(b: WorkerBackend): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** A fill batch went to the worker: its texts and the cancelled requests dropped from it. */
  fillBatch?(b: { id: number; texts: number; dropped: number }): void;
}

export class InferenceHost {
  private worker: InferenceWorker | undefined;
  private readonly queue: Pending[] = [];
  private inFlight: InFlight | undefined;
  private nextId = 1;
  private lastModel: LoadedModel | undefined;
  private lastTask: TaskModelInfo | undefined;
  private lastMemory: TfMemory | undefined;
  private disposed = false;
  private modelGeneration = 0;

  constructor(
    private readonly data: () => Omit<WorkerData, 'role'>,
    private readonly events: InferenceHostEvents,
    private readonly createWorker: (data: WorkerData) => InferenceWorker = (workerData) =>
      startWorker('mlm-worker', { workerData }),
    private readonly limits: () => InferenceLimits = () => DEFAULT_INFERENCE_LIMITS,
  ) {}

  get model(): LoadedModel | undefined {
    return this.lastModel;
  }

  /** Increments whenever the worker's model may have changed (a load answered, the worker exited). */
  get generation(): number {
    return this.modelGeneration;
  }

  /** Starts the worker (and its TF.js backend) ahead of the first request; resolves once its backend is up. */
  warmUp(): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.readyWaiters ??= []).push(resolve));
    this.ensureWorker();
    return ready;
  }
  private readyWaiters: Array<() => void> | undefined;
  /** A worker that answered ComputeAborted and is about to exit: nothing more is sent to it. */
  private dying: InferenceWorker | undefined;

  /** Loads a run, checkpoint or Hugging Face folder; `label` names the model (a Hub id) instead of its folder. */
  async load(dir: string, label?: string): Promise<LoadedModel> {
    const r = await this.request({ type: 'load', dir, label });
    if (r.type !== 'load') throw new Error(`inference worker answered ${r.type} to load`);
    this.lastModel = r.model;
    return r.model;
  }

  /** The task model (mlm/predict) that is loaded, if any. */
  get taskModel(): TaskModelInfo | undefined {
    return this.lastTask;
  }

  /** Loads a task model (a fine-tune run, checkpoint or HF task folder); the fill-mask model stays. */
  async loadTask(dir: string): Promise<TaskModelInfo> {
    const r = await this.request({ type: 'loadTask', dir });
    if (r.type !== 'loadTask') throw new Error(`inference worker answered ${r.type} to loadTask`);
    this.lastTask = r.model;
    return r.model;
  }

  /** The task model's predictions for a batch of inputs. */
  async predict(
    inputs: Array<{ text: string; textPair?: string }>,
    isCancelled: () => boolean = () => false,
  ): Promise<{ predictions: TaskPrediction[]; model: TaskModelInfo }> {
    const r = await this.request({ type: 'predict', inputs }, isCancelled);
    if (r.type !== 'predict') throw new Error(`inference worker answered ${r.type} to predict`);
    return r;
  }

  /** A fill; MlmErrorCodes.Busy when the worker has not answered it within `fillDeadlineMs`. */
  async fill(req: FillParams, isCancelled: () => boolean = () => false): Promise<FillResult> {
    const { result, generation } = await this.enqueue(
      { type: 'fill', ...req },
      isCancelled,
      this.limits().fillDeadlineMs,
    );
    if (result.type !== 'fill') throw new Error(`inference worker answered ${result.type} to fill`);
    return { ...result, generation };
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

  async request(
    request: InferenceRequest,
    isCancelled: () => boolean = () => false,
  ): Promise<InferenceResult> {
    return (await this.enqueue(request, isCancelled)).result;
  }

  private enqueue(
    request: InferenceRequest,
    isCancelled: () => boolean,
    deadlineMs?: number,
  ): Promise<{ result: InferenceResult; generation: number }> {
    if (this.disposed) return Promise.reject(inferenceFailure(request.type, new Error(SHUTTING_DOWN)));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const pending: Pending = {
        request,
        isCancelled,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      if (deadlineMs !== undefined) {
        timer = setTimeout(() => {
          // Still queued: it leaves the queue. Running: its answer, when it comes, goes to nobody.
          const waiting = this.queue.indexOf(pending);
          if (waiting !== -1) this.queue.splice(waiting, 1);
          reject(
            new MlmError(
              MlmErrorCodes.Busy,
              `the model is busy (${this.busyWith()}) and did not answer within ${formatSeconds(deadlineMs)}: try again in a moment`,
            ),
          );
        }, deadlineMs);
        timer.unref();
      }
      // Fills (hovers) go ahead of queued loads and memory queries: a user is waiting on them.
      if (request.type === 'fill') {
        const firstOther = this.queue.findIndex((p) => p.request.type !== 'fill');
        this.queue.splice(firstOther === -1 ? this.queue.length : firstOther, 0, pending);
      } else this.queue.push(pending);
      this.pump();
    });
  }

  /** What holds the worker up, for a Busy message: "the inference worker is loading …; 2 more requests wait". */
  private busyWith(): string {
    const f = this.inFlight;
    const doing = !f
      ? this.worker
        ? 'the inference worker is starting'
        : 'no inference worker is running'
      : `the inference worker is ${describeRequest(f)}`;
    const waiting = this.queue.length;
    if (!waiting) return doing;
    return `${doing}; ${waiting} more ${waiting === 1 ? 'request waits' : 'requests wait'}`;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.inFlight) clearTimeout(this.inFlight.watchdog);
    for (const p of this.queue.splice(0))
      p.reject(inferenceFailure(p.request.type, new Error(SHUTTING_DOWN)));
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  /** The next message: every waiting fill (up to MAX_FILL_BATCH, cancelled ones dropped), else one request. */
  private takeNext(): { items: Pending[]; batch: boolean; dropped: number } | undefined {
    let dropped = 0;
    const live = (p: Pending): boolean => {
      if (!p.isCancelled()) return true;
      p.reject(new InferenceCancelled('cancelled'));
      dropped++;
      return false;
    };
    while (this.queue.length) {
      if (this.queue[0].request.type !== 'fill') {
        const next = this.queue.shift()!;
        if (live(next)) return { items: [next], batch: false, dropped };
        continue;
      }
      // Fills sit at the front of the queue (see enqueue).
      const items: Pending[] = [];
      while (items.length < MAX_FILL_BATCH && this.queue[0]?.request.type === 'fill') {
        const p = this.queue.shift()!;
        if (live(p)) items.push(p);
      }
      if (items.length) return { items, batch: true, dropped };
    }
    return undefined;
  }

  private pump(): void {
    if (this.inFlight || (this.dying && this.dying === this.worker)) return;
    const next = this.takeNext();
    if (!next) return;
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const { watchdogMs } = this.limits();
    const first = next.items[0].request.type;
    const limitMs = first === 'load' || first === 'loadTask' ? watchdogMs * LOAD_WATCHDOG_FACTOR : watchdogMs;
    const flight: InFlight = {
      id,
      items: next.items,
      batch: next.batch,
      generation: this.modelGeneration,
      watchdog: setTimeout(() => this.stuck(worker, flight, limitMs), limitMs),
    };
    flight.watchdog.unref();
    this.inFlight = flight;
    if (next.batch) {
      const items = next.items.map((p) => {
        const { type: _type, ...params } = p.request as Extract<InferenceRequest, { type: 'fill' }>;
        return params;
      });
      this.events.fillBatch?.({ id, texts: items.length, dropped: next.dropped });
      worker.postMessage({ id, request: { type: 'fillBatch', items } });
    } else worker.postMessage({ id, request: next.items[0].request });
  }

  private settle(f: InFlight, m: Extract<FromInference, { type: 'reply' }>): void {
    if (!m.ok) {
      for (const p of f.items) p.reject(new MlmError(m.code, m.message));
      return;
    }
    const generation = f.generation;
    if (!f.batch) {
      f.items[0].resolve({ result: m.result, generation });
      return;
    }
    const results = m.result.type === 'fillBatch' ? m.result.results : [];
    f.items.forEach((p, i) => {
      const r = results[i];
      if (!r)
        p.reject(new Error(`inference worker answered ${m.result.type} to a batch of ${f.items.length}`));
      else if (r.ok) p.resolve({ result: { type: 'fill', ...r.result }, generation });
      else p.reject(new MlmError(r.code, r.message));
    });
  }

  private ensureWorker(): InferenceWorker {
    if (this.worker) return this.worker;
    const w = this.createWorker({ ...this.data(), role: 'infer' });
    this.worker = w;
    w.on('message', (m: FromInference) => {
      if (m.type === 'ready') {
        for (const r of this.readyWaiters?.splice(0) ?? []) r();
        return this.events.backend(m.backend);
      }
      const f = this.inFlight;
      if (!f || f.id !== m.id) return;
      this.inFlight = undefined;
      clearTimeout(f.watchdog);
      // A load (or any other request that is not a fill or a memory query) may change the weights later fills see.
      if (m.ok && !READ_ONLY.has(m.result.type)) this.modelGeneration++;
      this.settle(f, m);
      // The worker's wasm aborted and it is exiting: the next request waits for a fresh one (see 'exit').
      if (!m.ok && m.code === MlmErrorCodes.ComputeAborted) this.dying = w;
      this.pump();
    });
    w.on('error', (err) => this.events.log('error', `inference worker crashed: ${err.stack ?? err.message}`));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.replaceWorker(
        new Error(`the inference worker exited (code ${code}); it restarts on the next request`),
        `inference worker exited (code ${code})`,
        false,
      );
    });
    return w;
  }

  /**
   * The watchdog: `w` has not answered `f` within limitMs. It is terminated (a busy loop in JS or wasm ends there);
   * what it held and what waited behind it fails naming the cause, and a fresh worker gets the last models.
   */
  private stuck(w: InferenceWorker, f: InFlight, limitMs: number): void {
    if (this.worker !== w || this.inFlight !== f) return;
    const what = `${describeRequest(f)} for ${formatSeconds(limitMs)}`;
    this.replaceWorker(
      new MlmError(
        MlmErrorCodes.InferenceRestarted,
        `the inference worker was stuck ${what} and was restarted (mlm.inference.watchdogSeconds); try again`,
      ),
      `inference worker stuck ${what}: terminated, starting a fresh one`,
      true,
    );
    w.terminate().catch((e: unknown) =>
      this.events.log('error', `terminating the stuck inference worker failed: ${String(e)}`),
    );
  }

  /**
   * Forgets the current worker (it exited, or the watchdog gave up on it): its message fails with `err` (and, when
   * `andQueued`, every waiting request too), the model generation moves on, and the last models load in a fresh one.
   */
  private replaceWorker(err: Error, logLine: string, andQueued: boolean): void {
    this.worker = undefined;
    this.dying = undefined;
    this.modelGeneration++;
    for (const r of this.readyWaiters?.splice(0) ?? []) r();
    const f = this.inFlight;
    this.inFlight = undefined;
    if (f) clearTimeout(f.watchdog);
    const failed = [...(f?.items ?? []), ...(andQueued ? this.queue.splice(0) : [])];
    for (const p of failed) p.reject(inferenceFailure(p.request.type, err));
    if (this.disposed) return;
    this.events.log(andQueued ? 'error' : 'warn', logLine);
    const task = this.lastTask;
    if (task) {
      this.loadTask(task.dir).catch((e: unknown) =>
        this.events.log('error', `reloading the task model ${task.dir} failed: ${String(e)}`),
      );
    }
    const model = this.lastModel;
    if (model) {
      this.events.log('warn', `reloading ${model.dir} in the inference worker`);
      this.load(model.dir, model.runId).catch((e: unknown) =>
        this.events.log('error', `reloading ${model.dir} failed: ${String(e)}`),
      );
    }
    this.pump();
  }
}

/** "loading /runs/r/checkpoints/step-40", "answering 3 fills", for Busy and watchdog messages. */
function describeRequest(f: InFlight): string {
  const r = f.items[0].request;
  switch (r.type) {
    case 'load':
      return `loading ${r.dir}`;
    case 'loadTask':
      return `loading the task model ${r.dir}`;
    case 'fill':
    case 'fillBatch':
      return f.batch && f.items.length > 1
        ? `answering ${f.items.length} fill-masks`
        : 'answering a fill-mask';
    case 'predict':
      return `predicting ${r.inputs.length} input${r.inputs.length === 1 ? '' : 's'}`;
    case 'surprise':
      return `scoring up to ${r.maxRows} surprising-word rows`;
    case 'memory':
      return 'reporting its memory';
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
