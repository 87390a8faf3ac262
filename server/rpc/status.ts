/** Handlers of mlm/status and mlm/corpusStats. */
import type { Connection } from 'vscode-languageserver';
import { CorpusStatsRequest } from '../../protocol/corpus';
import { StatusRequest } from '../../protocol/status';
import type { AppState } from '../app/appState';

export function registerStatus(connection: Connection, app: AppState): void {
  connection.onRequest(StatusRequest.type, () => app.status.get());
  connection.onRequest(CorpusStatsRequest.type, () => app.corpusStats());
}
