/**
 * The trainer side of a training worker: initialises its own TF.js backend, runs one run with runTraining and
 * reports every callback to the main thread. Pause/resume/stop arrive as messages and steer the TrainControl.
 */
import type { MessagePort } from 'node:worker_threads';
import { initBackend, type BackendChoice } from '../ml/backend';
import { runFinetune } from '../ml/finetune';
import { runTraining } from '../ml/train/run';
import type { TrainCallbacks, TrainControl } from '../ml/types';
import { spawnReplica } from './replicas';
import { tfMemorySample, workerBackend } from './backendReport';
import type { FromTrainer, ToTrainer, WorkerData } from './messages';
import { PauseGate } from './pauseGate';
import { lowerThreadPriority } from './threadPriority';
import { finetuneTrainerSummary, toTrainerSummary } from './summary';

export function runTrainerRole(port: MessagePort, data: WorkerData): void {
  const post = (m: FromTrainer): void => port.postMessage(m);
  const abort = new AbortController();
  const gate = new PauseGate(abort.signal);
  let started = false;
  let backendReady = false;
  let shutdownDeadline: number | undefined;

  port.on('message', (m: ToTrainer) => {
    switch (m.type) {
      case 'start':
        if (started)
          return post({ type: 'log', level: 'warn', message: 'trainer worker got a second start; ignored' });
        started = true;
        void train(m);
        return;
      case 'pause':
        return gate.pause();
      case 'resume':
        return gate.resume();
      case 'stop':
        shutdownDeadline = m.deadline;
        gate.resume();
        return abort.abort();
      case 'memory': {
        if (!backendReady) return; // tf.memory() throws while the backend initialises
        return post({ type: 'memory', memory: tfMemorySample() });
      }
    }
  });

  async function train(m: Extract<ToTrainer, { type: 'start' }>): Promise<void> {
    try {
      post({ type: 'log', level: 'info', message: lowerThreadPriority() });
      const info = await initBackend({ backend: data.backend as BackendChoice, threads: data.threads });
      backendReady = true;
      post({
        type: 'ready',
        backend: workerBackend(info),
      });
      const control: TrainControl = {
        signal: abort.signal,
        waitIfPaused: () => gate.wait(),
        isPaused: () => gate.paused,
        pause: () => gate.pause(),
        shutdownDeadline: () => shutdownDeadline,
      };
      const callbacks: TrainCallbacks = {
        onPhase: (phase, detail) => post({ type: 'phase', phase, detail }),
        onProgress: (p) => post({ type: 'progress', message: p.message, fraction: p.fraction }),
        onMetrics: (record) => post({ type: 'metrics', record }),
        onCheckpoint: (info) => post({ type: 'checkpoint', info }),
        onLog: (level, message) => post({ type: 'log', level, message }),
        onMemory: (estimate) => post({ type: 'memoryEstimate', estimate }),
      };
      if (m.finetune) {
        const summary = await runFinetune(m.finetune, {
          out: m.runDir,
          resume: m.resumeFrom !== undefined,
          spawnReplica,
          callbacks,
          control,
        });
        post({ type: 'done', summary: finetuneTrainerSummary(summary, m.runId) });
        return;
      }
      const summary = await runTraining(m.config, {
        cwd: m.cwd,
        runDir: m.runDir,
        spawnReplica,
        corpusFiles: m.corpusFiles,
        resumeFrom: m.resumeFrom,
        control,
        callbacks,
      });
      post({ type: 'done', summary: toTrainerSummary(summary) });
    } catch (err) {
      post({
        type: 'failed',
        message: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
    }
  }
}
