/**
 * The PyTorch task reference (test/fixtures/hf/task_reference.py) from TypeScript: a TaskBatch as its request rows,
 * and one call of a mode. Used by the parity test and the fine-tune benchmark (test/bench/finetuneTorch.ts).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TaskBatch } from '../../../../../server/ml/finetune/model';
import { PY_DIR } from '../hf/hfHelpers';

/** A batch as task_reference.py reads it: rows of ids, mask and segment ids; scored positions; labels. */
export function taskBatchRequest(b: TaskBatch): Record<string, unknown> {
  const rows = (a: Int32Array) =>
    Array.from({ length: b.batchSize }, (_, i) => Array.from(a.subarray(i * b.seqLen, (i + 1) * b.seqLen)));
  return {
    ids: rows(b.inputIds),
    attentionMask: rows(b.attentionMask),
    tokenTypeIds: b.tokenTypeIds ? rows(b.tokenTypeIds) : rows(new Int32Array(b.inputIds.length)),
    positions: Array.from(b.maskedPositions),
    labels: Array.from(b.labels),
  };
}

/** Runs task_reference.py MODE DIR with the request on stdin; its JSON reply. */
export function taskReference<T>(
  python: string,
  mode: 'logits' | 'finetune' | 'train',
  dir: string,
  request: unknown,
): T {
  const r = spawnSync(python, [path.join(PY_DIR, 'task_reference.py'), mode, dir], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    timeout: 1_800_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`task_reference.py ${mode} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
