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

/** A run folder's status on disk (run.json); 'interrupted' = a process died mid-run. */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'interrupted';
