/** The states a run and the backend go through, named once for the trainer, the server, the extension and the webview. */

/** What the backend is doing (ServerStatus.state). `preparing` covers corpus reading, tokenizer training and example building. */
export type ServerState = 'idle' | 'preparing' | 'training' | 'paused' | 'error' | 'stopped';

/** The states in which a run exists and can be stopped: it is preparing, training or paused. */
const RUN_ACTIVE_STATES: ReadonlySet<ServerState | undefined> = new Set(['preparing', 'training', 'paused']);

/** True while a run is active (preparing, training or paused): the one definition every part uses. */
export function isRunActive(state: ServerState | undefined): boolean {
  return RUN_ACTIVE_STATES.has(state);
}

/** The trainer's finer phase of a run (ServerStatus.phase), reported through TrainCallbacks.onPhase. */
export type TrainPhase =
  | 'preparing'
  | 'reading-corpus'
  | 'training-tokenizer'
  | 'building-examples'
  | 'training'
  | 'evaluating'
  | 'checkpointing'
  | 'paused'
  | 'done';

/**
 * Why a training run stopped (the trainer's RunSummary.stoppedBy). 'shutdown': the backend shut down (VS Code reloaded
 * or closed) mid-run; the run is left 'interrupted' on disk, to be resumed (MLM: Resume Run…).
 */
export type StopReason =
  'max-steps' | 'epochs' | 'time-budget' | 'early-stopping' | 'stopped' | 'shutdown' | 'error';

/** How a run ended (mlm/runFinished's outcome; run.json's final status). */
export type RunOutcome = 'completed' | 'stopped' | 'failed';

/** How a run ended, from why it stopped: an error failed it, a stop request stopped it, a limit completed it. */
export function runOutcome(stoppedBy: StopReason): RunOutcome {
  return stoppedBy === 'error'
    ? 'failed'
    : stoppedBy === 'stopped' || stoppedBy === 'shutdown'
      ? 'stopped'
      : 'completed';
}

/** A run folder's status on disk (run.json); 'interrupted' = a process died or the backend shut down mid-run. */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** run.json's final status from why the run stopped: a shutdown leaves it interrupted (resumable), else its outcome. */
export function runStatusOf(stoppedBy: StopReason): RunStatus {
  return stoppedBy === 'shutdown' ? 'interrupted' : runOutcome(stoppedBy);
}
