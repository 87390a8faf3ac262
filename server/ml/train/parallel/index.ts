/**
 * Data-parallel training (training.dataParallel): startDataParallel starts the replica pool for a run, or
 * returns null when it is off or the backend cannot use it. See pool.ts for how a step works.
 */
import { getBackendInfo } from '../../backend';
import type { MlmModel, TrainCallbacks } from '../../types';
import { ReplicaPool } from './pool';

export { ReplicaPool } from './pool';

export async function startDataParallel(
  model: MlmModel,
  training: { dataParallel?: number; seed: number },
  onLog?: TrainCallbacks['onLog'],
): Promise<ReplicaPool | null> {
  const replicas = training.dataParallel ?? 1;
  if (replicas <= 1) return null;
  const backend = getBackendInfo();
  if (!backend || (backend.name !== 'wasm' && backend.name !== 'cpu')) {
    onLog?.(
      'info',
      `training.dataParallel ${replicas} ignored: data parallelism is for the wasm and cpu backends (this run uses ${backend?.name ?? 'no backend'}, which already uses every core)`,
    );
    return null;
  }
  if ((backend.threads ?? 1) > 1) {
    onLog?.(
      'warn',
      `data parallel with ${backend.threads} wasm threads on the leader oversubscribes the cores: set threads to 1`,
    );
  }
  const pool = await ReplicaPool.start(model, { replicas, backend: backend.name, seed: training.seed });
  onLog?.(
    'info',
    `data parallel: ${replicas} replicas (this thread + ${replicas - 1} worker thread${replicas > 2 ? 's' : ''}), gradients summed in shared memory`,
  );
  return pool;
}
