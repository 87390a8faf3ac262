/**
 * Where the worker bundles are, for both kinds of worker thread: dist/mlm-worker.js (the trainer and inference
 * roles) and dist/replica-worker.js (a data-parallel replica). Looked up in MLM_WORKER_DIR when set, else beside
 * the running bundle (or one folder up, for dist/test/); unbundled, under tsx, the TypeScript entry beside this
 * file is loaded through tsx's CommonJS hook (Node 20 workers do not pick up `--import tsx` for a .ts entry).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export type WorkerEntry = 'mlm-worker' | 'replica-worker';

/** The TypeScript entry of each bundle (in server/worker/). */
const SOURCES: Record<WorkerEntry, string> = {
  'mlm-worker': 'mlmWorker.ts',
  'replica-worker': 'replicaWorker.ts',
};

const WHAT: Record<WorkerEntry, string> = {
  'mlm-worker': 'the MLM worker',
  'replica-worker': 'the data-parallel replica worker',
};

export interface WorkerScript {
  /** A file path, or JavaScript source when `eval` is true. */
  file: string;
  eval: boolean;
}

type Found = { script: WorkerScript } | { problem: string };

function find(entry: WorkerEntry): Found {
  const bundle = `${entry}.js`;
  const dir = process.env.MLM_WORKER_DIR;
  if (dir) {
    const file = path.resolve(dir, bundle);
    if (fs.existsSync(file)) return { script: { file, eval: false } };
    return {
      problem: `${WHAT[entry]} ${file} is missing (MLM_WORKER_DIR is set): rebuild with \`npm run build\` or reinstall the extension, or unset MLM_WORKER_DIR`,
    };
  }
  for (const d of [__dirname, path.join(__dirname, '..')]) {
    const file = path.join(d, bundle);
    if (fs.existsSync(file)) return { script: { file, eval: false } };
  }
  const ts = path.join(__dirname, SOURCES[entry]);
  if (fs.existsSync(ts)) {
    return { script: { file: `require('tsx/cjs'); require(${JSON.stringify(ts)});`, eval: true } };
  }
  return {
    problem: `${WHAT[entry]} ${path.join(__dirname, bundle)} is missing: rebuild with \`npm run build\` or reinstall the extension`,
  };
}

/** Why the worker cannot start, or undefined when its script exists. */
export function workerScriptProblem(entry: WorkerEntry): string | undefined {
  const f = find(entry);
  return 'problem' in f ? f.problem : undefined;
}

/** Starts a worker thread running `entry`; throws naming the missing bundle and what to do. */
export function startWorker(entry: WorkerEntry, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const f = find(entry);
  if ('problem' in f) throw new Error(f.problem);
  return new Worker(f.script.file, { ...options, eval: f.script.eval });
}
