/** Handlers of mlm/status and mlm/corpusStats. */
import type { Connection } from 'vscode-languageserver';
import { CorpusStatsRequest } from '../../protocol/corpus';
import { StatusRequest } from '../../protocol/status';
import type { Backend } from './backend';

export function registerStatus(connection: Connection, backend: Backend): void {
  connection.onRequest(StatusRequest.type, () => backend.status.get());
  connection.onRequest(CorpusStatsRequest.type, () => backend.corpusStats());
}
