/**
 * The task model (a fine-tuned classifier / tagger) the server predicts with: which one is loaded in the inference
 * worker (a fine-tune run's checkpoints as they are saved, the newest fine-tune run at start, or one the client
 * chose), predictions for texts, and predictions for a whole file written as JSON Lines next to it — in batches, with
 * progress and cancellation between batches, through a temporary file so that nothing partial is left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { PredictRequest } from '../../protocol/finetune';
import type { ServerStatus } from '../../protocol/status';
import type { TaskModelInfo } from '../../protocol/shared/taskPrediction';
import { parsePredictInputs } from '../ml/finetune';
import { InferenceCancelled, type InferenceHost } from '../worker/inferenceHost';

/** Inputs per message to the worker while predicting a file (hovers get the worker between batches). */
export const PREDICT_FILE_BATCH = 32;

export interface TaskModelHooks {
  status(patch: Partial<ServerStatus>): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Relative paths resolve against the workspace root. */
  root(): string | null;
}

export interface PredictFileProgress {
  done: number;
  total: number;
}

/** `<dir>/<name>.predictions.jsonl` for `<dir>/<name>.<ext>`. */
export function predictionsFileOf(input: string): string {
  const ext = path.extname(input);
  return path.join(path.dirname(input), `${path.basename(input, ext)}.predictions.jsonl`);
}

export class TaskModel {
  constructor(
    private readonly inference: InferenceHost,
    private readonly hooks: TaskModelHooks,
  ) {}

  get current(): TaskModelInfo | undefined {
    return this.inference.taskModel;
  }

  private resolve(p: string): string {
    return path.resolve(this.hooks.root() ?? '.', p);
  }

  /** Loads now; CheckpointNotFound (with the loader's reason) when the folder is not a usable task model. */
  async load(dir: string): Promise<TaskModelInfo> {
    const m = await this.inference.loadTask(this.resolve(dir));
    this.hooks.status({ taskModel: m });
    this.hooks.log('info', `task model: ${m.dir} (${m.task}: ${m.labels.join(', ')})`);
    return m;
  }

  /** Loads in the background (a run's new checkpoint, the newest fine-tune run at start); failures are logged. */
  request(dir: string): void {
    this.load(dir).catch((err: unknown) =>
      this.hooks.log('warn', `could not load the task model of ${dir}: ${(err as Error).message}`),
    );
  }

  private async ensure(model: string | undefined): Promise<void> {
    if (model !== undefined) {
      const dir = this.resolve(model);
      const cur = this.current;
      // A run folder names its best checkpoint, which is what is loaded: only load what is not loaded already.
      if (!cur || (cur.dir !== dir && path.dirname(path.dirname(cur.dir)) !== dir)) await this.load(dir);
    }
    if (!this.current) {
      throw new MlmError(
        MlmErrorCodes.NoModel,
        'no task model is loaded: fine-tune one (MLM: Fine-tune…) or load one (MLM: Load Task Model)',
      );
    }
  }

  async predictTexts(
    texts: Array<{ text: string; textPair?: string }>,
    model: string | undefined,
    isCancelled: () => boolean,
  ): Promise<PredictRequest.Result> {
    const t0 = Date.now();
    await this.ensure(model);
    const r = await this.inference.predict(texts, isCancelled);
    return { model: r.model, predictions: r.predictions, elapsedMs: Date.now() - t0 };
  }

  /**
   * Predicts every input of `file` and writes `<name>.predictions.jsonl` beside it (one object per input: its line,
   * then the prediction). Cancelled → InferenceCancelled, and no output file (an older one is kept as it was).
   */
  async predictFile(
    file: string,
    model: string | undefined,
    isCancelled: () => boolean,
    progress: (p: PredictFileProgress) => void,
  ): Promise<PredictRequest.Result> {
    const t0 = Date.now();
    const input = this.resolve(file);
    let raw: string;
    try {
      raw = fs.readFileSync(input, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new MlmError(MlmErrorCodes.InvalidParams, `cannot read ${input}: ${why}; check the path`);
    }
    let inputs;
    try {
      inputs = parsePredictInputs(raw, input);
    } catch (err) {
      throw new MlmError(MlmErrorCodes.InvalidParams, (err as Error).message);
    }
    await this.ensure(model);
    const output = predictionsFileOf(input);
    const tmp = `${output}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    const labelCounts: Record<string, number> = {};
    let truncated = 0;
    let used: TaskModelInfo | undefined;
    try {
      progress({ done: 0, total: inputs.length });
      for (let i = 0; i < inputs.length; i += PREDICT_FILE_BATCH) {
        if (isCancelled()) throw new InferenceCancelled('cancelled');
        const chunk = inputs.slice(i, i + PREDICT_FILE_BATCH);
        const r = await this.inference.predict(
          chunk.map(({ text, textPair }) => (textPair === undefined ? { text } : { text, textPair })),
          isCancelled,
        );
        used = r.model;
        const lines = r.predictions.map((p, k) => {
          for (const l of p.entities ? p.entities.map((e) => e.type) : p.labels)
            labelCounts[l] = (labelCounts[l] ?? 0) + 1;
          if (p.truncated) truncated++;
          return JSON.stringify({ line: chunk[k].line, ...p });
        });
        fs.writeSync(fd, `${lines.join('\n')}\n`);
        progress({ done: Math.min(inputs.length, i + chunk.length), total: inputs.length });
      }
      fs.closeSync(fd);
      fs.renameSync(tmp, output);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    this.hooks.log('info', `predicted ${inputs.length} inputs of ${input} → ${output}`);
    return {
      model: used ?? this.current!,
      file: { input, output, count: inputs.length, labelCounts, truncated },
      elapsedMs: Date.now() - t0,
    };
  }
}
