/** Entry of dist/replica-worker.js: one data-parallel replica (server/ml/train/parallel/replica.ts) on a worker thread. */
import { parentPort } from 'node:worker_threads';
import { buildTaskReplica } from '../ml/finetune/replica';
import { buildMlmReplica, serveReplica } from '../ml/train/parallel/replica';

if (!parentPort) {
  throw new Error('replica-worker.js must run as a worker thread (started by data-parallel training)');
}
// After a wasm abort the replica's module is dead: end the thread (the leader sees it exit).
serveReplica(
  parentPort,
  () => process.exit(1),
  // Pretraining's masked-LM model, or a fine-tune's task model.
  (spec, seed) => (spec.kind === 'task' ? buildTaskReplica : buildMlmReplica)(spec, seed),
);
