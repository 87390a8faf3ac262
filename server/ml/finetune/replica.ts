/**
 * Data-parallel fine-tuning (train/parallel): what a replica thread builds for a task model — the leader's
 * BertTaskModel (config, head, class weights) and its loss — from the spec the leader sends
 * (server/worker/replicaWorker.ts maps the spec's kind here).
 */
import type { ReplicaModelSpec } from '../train/parallel/messages';
import type { BuildReplica } from '../train/parallel/replica';
import type { BertConfig } from '../types';
import { BertTaskModel, taskLossSource, type TaskHead } from './model';

interface TaskReplicaExtra {
  head: TaskHead;
  classWeights: number[] | null;
}

/** The spec of a task model's replicas. */
export function taskReplicaSpec(model: BertTaskModel): ReplicaModelSpec {
  const w = model.lossWeights;
  const extra: TaskReplicaExtra = { head: model.head, classWeights: w ? Array.from(w) : null };
  return { kind: 'task', config: model.config, extra };
}

export const buildTaskReplica: BuildReplica = (spec, seed) => {
  if (spec.kind !== 'task') throw new Error(`a task replica cannot build a "${spec.kind}" model`);
  const { head, classWeights } = spec.extra as TaskReplicaExtra;
  const model = new BertTaskModel(spec.config as BertConfig, head, seed);
  model.setClassWeights(classWeights ? Float32Array.from(classWeights) : undefined);
  return { model, source: taskLossSource(model) };
};
