/**
 * Entry of dist/mlm-worker.js, a worker_threads worker with its own TensorFlow.js instance and three roles
 * (workerData.role): 'train' runs one training run; 'infer' serves fill-mask for hovers and mlm/fillMask; 'job' runs
 * one job (evaluate, import, coverage report: jobRole.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runInferenceRole } from './inferenceRole';
import { runJobRole } from './jobRole';
import type { WorkerData } from './messages';
import { runTrainerRole } from './trainerRole';

const data = workerData as WorkerData;
if (!parentPort) throw new Error('mlm-worker.js must run as a worker thread (started by the MLM backend)');
if (data.role === 'train') runTrainerRole(parentPort, data);
else if (data.role === 'infer') runInferenceRole(parentPort, data);
else if (data.role === 'job') runJobRole(parentPort, data);
else throw new Error(`unknown worker role "${String(data.role)}"`);
