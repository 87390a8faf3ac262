/** `mlm eval --run FT_DIR --data FILE`: a fine-tuned model's task metrics on a labelled file. */
import { initBackend, type BackendChoice } from '../../ml/backend';
import {
  evaluateFile,
  formatTaskEvaluation,
  loadTaskModel,
  type FileEvaluation,
  type LoadedTaskModel,
} from '../../ml/finetune';
import { CliError } from '../command';

export async function evalTaskModel(
  run: string,
  data: string,
  opts: { json?: boolean; batchSize?: string; backend?: string },
): Promise<number> {
  const batchSize = opts.batchSize !== undefined ? Number(opts.batchSize) : 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new CliError(`--batch-size must be a positive integer, got "${opts.batchSize}"`, 2);
  }
  let loaded: LoadedTaskModel;
  try {
    await initBackend({ backend: (opts.backend ?? 'auto') as BackendChoice });
    loaded = await loadTaskModel(run);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    let e: FileEvaluation;
    try {
      e = await evaluateFile(loaded, data, batchSize);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (opts.json) {
      const { detail, bad, ...rest } = e;
      process.stdout.write(
        `${JSON.stringify({ run: loaded.runDir ?? run, checkpoint: loaded.weightsDir, ...rest, ...e.metrics, detail: detail.metrics, skipped: bad })}\n`,
      );
    } else {
      process.stdout.write(
        `model:     ${loaded.weightsDir} (${loaded.head.task})\ndata:      ${data}\n${formatTaskEvaluation(e)}\n`,
      );
    }
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
