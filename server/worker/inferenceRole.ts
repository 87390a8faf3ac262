/**
 * The inference worker: its own TF.js backend and the one model fill-mask and hovers use. Requests are handled
 * strictly one after another (a load never races a fill); the main thread keeps at most one message in flight, and
 * fills that queued meanwhile arrive together as one fillBatch.
 */
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { MaskResult } from '../../protocol/inference';
import { initBackend, type BackendChoice } from '../ml/backend';
import { wasmAborted } from '../ml/backend/wasmHeap';
import { loadForInference, type InferenceModel } from '../ml/hf';
import { readState } from '../ml/checkpoint';
import { loadTaskModel, predictTexts, type LoadedTaskModel } from '../ml/finetune';
import type { TaskModelInfo } from '../../protocol/shared/taskPrediction';
import { fillMaskAll, modelScorer, warmUp } from '../ml/infer/fillMask';
import { scoreWords } from '../ml/infer/surprise';
import type {
  FillAnswer,
  FillOutcome,
  FillParams,
  FromInference,
  InferenceRequest,
  InferenceResult,
  LoadedModel,
  ToInference,
  WorkerData,
} from './messages';
import { tfMemorySample, workerBackend } from './backendReport';
import { inferenceFailure } from './messages';
import { substituteMasks } from './substituteMasks';

/** Test hook (server/app/serverEnv.ts): a fill whose text holds this marker spins the worker for ever. */
const HANG_FILL = process.env.MLM_TEST_HANG_FILL || undefined;

export function runInferenceRole(port: MessagePort, data: WorkerData): void {
  const post = (m: FromInference): void => port.postMessage(m);
  let current: { loaded: InferenceModel; info: LoadedModel } | undefined;
  let task: { loaded: LoadedTaskModel; info: TaskModelInfo } | undefined;
  const backend = initBackend({ backend: data.backend as BackendChoice, threads: data.threads ?? 1 }).then(
    (info) => {
      post({
        type: 'ready',
        backend: workerBackend(info),
      });
      return info;
    },
    (err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      post({
        type: 'ready',
        backend: { name: 'unavailable', device: `no TF.js backend: ${why}`, cores: 0, reasons: [why] },
      });
      throw err;
    },
  );
  backend.catch(() => undefined); // reported above; every request fails with the same error
  let queue: Promise<void> = Promise.resolve();

  port.on('message', (m: ToInference) => {
    queue = queue.then(async () => {
      try {
        await backend;
        post({ type: 'reply', id: m.id, ok: true, result: await handle(m.request) });
      } catch (err) {
        if (wasmAborted(err)) {
          // The module is dead (a call into it could spin for ever): answer, then end this worker; the host
          // starts a fresh one and reloads the model on the next request.
          const what = (err instanceof Error ? err.message : String(err)).split('.')[0];
          post({
            type: 'reply',
            id: m.id,
            ok: false,
            message: `the WebAssembly backend of the inference worker aborted ("${what}"); it restarts and reloads the model: try again`,
            code: MlmErrorCodes.ComputeAborted,
          });
          process.exit(1);
        }
        const e = inferenceFailure(m.request.type, err);
        post({ type: 'reply', id: m.id, ok: false, message: e.message, code: e.code });
      }
    });
  });

  async function fill(r: FillParams): Promise<FillAnswer> {
    if (!current) {
      throw new MlmError(MlmErrorCodes.NoModel, 'no model is loaded: train a run or load a checkpoint first');
    }
    if (HANG_FILL && r.text.includes(HANG_FILL)) {
      for (;;) {
        // busy loop (reliability row 4): only the host's watchdog ends it, by terminating this worker
      }
    }
    const t0 = performance.now();
    const { model, tokenizer } = current.loaded;
    const sub = substituteMasks(r.text, r.maskToken, tokenizer.maskToken);
    if (!sub.masks.length) {
      throw new MlmError(
        MlmErrorCodes.InvalidParams,
        `the text holds no ${r.maskToken}: put ${r.maskToken} where a word is missing`,
      );
    }
    const all = await fillMaskAll(modelScorer(model), tokenizer, sub.text, {
      topK: r.topK,
      targets: r.targets,
      beam: r.beam,
    });
    const masks: MaskResult[] = sub.masks.map((offset, i) => ({
      offset,
      predictions: (all.masks[i] ?? []).map((p) => ({ ...p, sequence: sub.restore(p.sequence) })),
    }));
    const joint = all.joint?.map((j) => ({ ...j, sequence: sub.restore(j.sequence) }));
    return {
      masks,
      ...(joint ? { joint } : {}),
      ...(all.jointNote ? { jointNote: all.jointNote } : {}),
      model: current.info,
      elapsedMs: performance.now() - t0,
    };
  }

  async function handle(r: InferenceRequest): Promise<InferenceResult> {
    switch (r.type) {
      case 'load': {
        const loaded = await loadForInference(r.dir);
        if (r.label) loaded.name = r.label;
        await warmUp(modelScorer(loaded.model), loaded.tokenizer);
        const previous = current;
        current = { loaded, info: describe(loaded) };
        previous?.loaded.model.dispose();
        return { type: 'load', model: current.info };
      }
      case 'fill':
        return { type: 'fill', ...(await fill(r)) };
      case 'fillBatch': {
        // One fillMask call per text, in order; an item's failure (no mask, unknown target) is its own answer.
        const results: FillOutcome[] = [];
        for (const item of r.items) {
          try {
            results.push({ ok: true, result: await fill(item) });
          } catch (err) {
            if (wasmAborted(err)) throw err; // the whole batch fails and the worker restarts
            const e = inferenceFailure('fill', err);
            results.push({ ok: false, message: e.message, code: e.code });
          }
        }
        return { type: 'fillBatch', results };
      }
      case 'loadTask': {
        const loaded = await loadTaskModel(r.dir);
        const previous = task;
        task = { loaded, info: describeTask(loaded) };
        previous?.loaded.model.dispose();
        return { type: 'loadTask', model: task.info };
      }
      case 'predict':
        if (!task) {
          throw new MlmError(
            MlmErrorCodes.NoModel,
            'no task model is loaded: fine-tune one (MLM: Fine-tune…) or load one (MLM: Load Task Model)',
          );
        }
        return { type: 'predict', predictions: await predictTexts(task.loaded, r.inputs), model: task.info };
      case 'surprise': {
        if (!current) {
          throw new MlmError(
            MlmErrorCodes.NoModel,
            'no model is loaded: train a run or load a checkpoint first',
          );
        }
        const { model, tokenizer } = current.loaded;
        const r2 = await scoreWords(modelScorer(model), tokenizer, r.text, {
          fromWord: r.fromWord,
          maxRows: r.maxRows,
        });
        return { type: 'surprise', words: r2.words, nextWord: r2.nextWord, model: current.info };
      }
      case 'memory':
        return { type: 'memory', memory: tfMemorySample() };
    }
  }
}

function describe(loaded: InferenceModel): LoadedModel {
  return {
    dir: loaded.checkpointDir,
    runId: loaded.name,
    step: loaded.step,
    arch: loaded.model.config.arch,
    vocabSize: loaded.tokenizer.vocabSize,
  };
}

function describeTask(loaded: LoadedTaskModel): TaskModelInfo {
  let step: number | undefined;
  if (loaded.runDir) {
    try {
      step = readState(loaded.weightsDir).step;
    } catch {
      step = undefined;
    }
  }
  return {
    dir: loaded.weightsDir,
    ...(loaded.runDir ? { runId: path.basename(loaded.runDir), step } : {}),
    task: loaded.head.task,
    labels: [...loaded.head.labels],
  };
}
