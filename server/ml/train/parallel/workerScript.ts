/**
 * Where the replica worker is: dist/replica-worker.js beside the running bundle (or one folder up, for
 * dist/test/), MLM_REPLICA_WORKER, or — unbundled, under tsx — replicaWorker.ts loaded through tsx's
 * CommonJS hook (Node 20 workers do not pick up `--import tsx` hooks for a .ts entry).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ReplicaScript {
  /** A file path, or JavaScript source when `eval` is true. */
  file: string;
  eval: boolean;
}

/** Bootstrap source that registers tsx in the worker, then loads the TypeScript entry. */
const viaTsx = (ts: string): ReplicaScript => ({
  file: `require('tsx/cjs'); require(${JSON.stringify(ts)});`,
  eval: true,
});

export function replicaWorkerScript(): ReplicaScript {
  const env = process.env.MLM_REPLICA_WORKER;
  if (env) return env.endsWith('.ts') ? viaTsx(env) : { file: env, eval: false };
  for (const dir of [__dirname, path.join(__dirname, '..')]) {
    const file = path.join(dir, 'replica-worker.js');
    if (fs.existsSync(file)) return { file, eval: false };
  }
  const ts = path.join(__dirname, 'replicaWorker.ts');
  if (fs.existsSync(ts)) return viaTsx(ts);
  throw new Error(
    `the replica worker is missing (looked for replica-worker.js in ${__dirname} and its parent): rebuild with \`npm run build\`, or set training.dataParallel to 1`,
  );
}
