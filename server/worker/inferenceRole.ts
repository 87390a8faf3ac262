/**
 * The inference worker: its own TF.js backend and the one model fill-mask and hovers use. Requests are handled
 * strictly one after another (a load never races a fill); the main thread keeps at most one message in flight, and
 * fills that queued meanwhile arrive together as one fillBatch.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { MaskResult } from '../../protocol/inference';
import { initBackend, type BackendChoice } from '../ml/backend';
import { loadRunForInference } from '../ml/checkpoint';
import { isMlmRunDir, loadHfForInference } from '../ml/hf';
import { fillMask } from '../ml/infer/fillMask';
import type { MlmModel, Tokenizer } from '../ml/types';
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
import { inferenceFailure } from './messages';
import { substituteMasks } from './substituteMasks';

interface Loaded {
  model: MlmModel;
  tokenizer: Tokenizer;
  step?: number;
  checkpointDir: string;
  /** What the model is called: the run id, or the label given with the load (a Hub id). */
  name: string;
}

/** A run or checkpoint folder, or a Hugging Face model folder (Hub snapshots included). */
async function loadAny(dir: string, label?: string): Promise<Loaded> {
  if (isMlmRunDir(dir)) {
    const r = await loadRunForInference(dir);
    return { ...r, name: label ?? path.basename(r.runDir) };
  }
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    throw new Error(
      `${dir} is neither a run or checkpoint folder nor a Hugging Face model folder (no config.json)`,
    );
  }
  const r = await loadHfForInference(dir);
  return { ...r, checkpointDir: dir, name: label ?? path.basename(dir) };
}

export function runInferenceRole(port: MessagePort, data: WorkerData): void {
  const post = (m: FromInference): void => port.postMessage(m);
  let current: { loaded: Loaded; info: LoadedModel } | undefined;
  const backend = initBackend({ backend: data.backend as BackendChoice, threads: data.threads ?? 1 }).then(
    (info) => {
      post({
        type: 'ready',
        backend: { name: info.name, device: info.device, cores: info.cores, reasons: info.reasons },
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
        const e = inferenceFailure(m.request.type, err);
        post({ type: 'reply', id: m.id, ok: false, message: e.message, code: e.code });
      }
    });
  });

  function fill(r: FillParams): FillAnswer {
    if (!current) {
      throw new MlmError(MlmErrorCodes.NoModel, 'no model is loaded: train a run or load a checkpoint first');
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
    const perMask = fillMask(model, tokenizer, sub.text, { topK: r.topK, targets: r.targets });
    const masks: MaskResult[] = sub.masks.map((offset, i) => ({
      offset,
      predictions: (perMask[i] ?? []).map((p) => ({ ...p, sequence: sub.restore(p.sequence) })),
    }));
    return { masks, model: current.info, elapsedMs: performance.now() - t0 };
  }

  async function handle(r: InferenceRequest): Promise<InferenceResult> {
    switch (r.type) {
      case 'load': {
        const loaded = await loadAny(r.dir, r.label);
        const previous = current;
        current = { loaded, info: describe(loaded) };
        previous?.loaded.model.dispose();
        return { type: 'load', model: current.info };
      }
      case 'fill':
        return { type: 'fill', ...fill(r) };
      case 'fillBatch':
        // One fillMask call per text, in order; an item's failure (no mask, unknown target) is its own answer.
        return {
          type: 'fillBatch',
          results: r.items.map((item): FillOutcome => {
            try {
              return { ok: true, result: fill(item) };
            } catch (err) {
              const e = inferenceFailure('fill', err);
              return { ok: false, message: e.message, code: e.code };
            }
          }),
        };
      case 'memory': {
        const mem = tf.memory();
        return {
          type: 'memory',
          memory: { numTensors: mem.numTensors, numBytes: mem.numBytes, numDataBuffers: mem.numDataBuffers },
        };
      }
    }
  }
}

function describe(loaded: Loaded): LoadedModel {
  return {
    dir: loaded.checkpointDir,
    runId: loaded.name,
    step: loaded.step,
    arch: loaded.model.config.arch,
    vocabSize: loaded.tokenizer.vocabSize,
  };
}
