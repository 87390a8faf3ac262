/** The protocol between the extension, the backend and the webview. One file per area; see docs/protocol.md. */
export * from './errors';
export * from './status';
export * from './training';
export * from './inference';
export * from './surprise';
export * from './export';
export * from './actions';
export * from './hub';
export * from './corpus';
export * from './settings';
export * from './webview';
/** The type-only part that server/ml may import too (no JSON-RPC): metric rows, run states, named choices. */
export * from './shared/metrics';
export * from './shared/runState';
export * from './shared/choices';
export * from './shared/fillMask';
export * from './shared/wordpiece';
export * from './shared/markdown';
export * from './finetune';
export * from './shared/taskPrediction';
