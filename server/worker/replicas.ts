/** The replica factory handed to the ML core's data-parallel training: one worker thread per replica. */
import type { SpawnReplica } from '../ml/train/parallel/messages';
import { startWorker } from './workerScript';

export const spawnReplica: SpawnReplica = () => {
  try {
    return startWorker('replica-worker');
  } catch (err) {
    throw new Error(`${(err as Error).message}; or set training.dataParallel to 1`);
  }
};
