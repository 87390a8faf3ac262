/** The protocol between the extension, the backend and the webview. One file per area; see docs/protocol.md. */
export * from './errors';
export * from './status';
export * from './training';
export * from './inference';
export * from './corpus';
export * from './settings';
export * from './webview';
