/** Entry of dist/replica-worker.js: one data-parallel replica (server/ml/train/parallel/replica.ts) on a worker thread. */
import { parentPort } from 'node:worker_threads';
import { serveReplica } from '../ml/train/parallel/replica';

if (!parentPort) {
  throw new Error('replica-worker.js must run as a worker thread (started by data-parallel training)');
}
// After a wasm abort the replica's module is dead: end the thread (the leader sees it exit).
serveReplica(parentPort, () => process.exit(1));
