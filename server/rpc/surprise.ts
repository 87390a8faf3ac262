/** Handler of mlm/surprise (thin: validate, cut the passages, call the lens, map offsets to ranges). */
import type { Connection, TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { TextRange } from '../../protocol/inference';
import { SurpriseRequest, type SurpriseWord } from '../../protocol/surprise';
import type { AppState } from '../app/appState';
import { cancellable, guarded } from './guarded';
import { surprisePassages } from './surpriseText';

/** Characters scored per request at most (a 2,000-word document is ~12,000). */
export const MAX_SURPRISE_CHARS = 200_000;

const bad = (msg: string): never => {
  throw new MlmError(MlmErrorCodes.InvalidParams, msg);
};

const isPosition = (p: unknown): boolean =>
  typeof p === 'object' &&
  p !== null &&
  Number.isInteger((p as { line?: unknown }).line) &&
  Number.isInteger((p as { character?: unknown }).character);

/** Validates mlm/surprise params; throws InvalidParams naming the bad field. */
export function checkSurpriseParams(p: unknown): { uri: string; ranges?: TextRange[] } {
  if (typeof p !== 'object' || p === null) bad('mlm/surprise needs params { textDocument, ranges? }');
  const { textDocument, ranges } = p as SurpriseRequest.Params;
  if (typeof textDocument?.uri !== 'string' || !textDocument.uri)
    bad('textDocument.uri must be a non-empty string');
  if (
    ranges !== undefined &&
    (!Array.isArray(ranges) ||
      ranges.length > 100 ||
      !ranges.every((r) => typeof r === 'object' && r !== null && isPosition(r.start) && isPosition(r.end)))
  )
    bad('ranges must be an array of at most 100 { start, end } ranges');
  return { uri: textDocument.uri, ...(ranges ? { ranges } : {}) };
}

export function registerSurprise(
  connection: Connection,
  documents: TextDocuments<TextDocument>,
  app: AppState,
): void {
  connection.onRequest(
    SurpriseRequest.type,
    guarded(async (params, token): Promise<SurpriseRequest.Result> => {
      const t0 = performance.now();
      const p = checkSurpriseParams(params);
      const doc = documents.get(p.uri);
      if (!doc) bad(`${p.uri} is not open in the backend: open the document first (textDocument/didOpen)`);
      const d = doc as TextDocument;
      const text = d.getText();
      const ranges = p.ranges?.map((r): [number, number] => [d.offsetAt(r.start), d.offsetAt(r.end)]);
      let passages = surprisePassages(text, ranges);
      let total = 0;
      passages = passages.filter((q) => (total += q.text.length) <= MAX_SURPRISE_CHARS);
      const r = await cancellable(token, () =>
        app.lens.score(
          passages.map((q) => q.text),
          () => token.isCancellationRequested,
        ),
      );
      const words: SurpriseWord[] = [];
      passages.forEach((q, i) => {
        for (const w of r.results[i]) {
          words.push({
            range: { start: d.positionAt(q.start + w.start), end: d.positionAt(q.start + w.end) },
            word: w.word,
            probability: Math.exp(w.logProb),
            alternatives: w.alternatives,
          });
        }
      });
      return {
        version: d.version,
        words,
        computed: r.computed,
        cached: r.cached,
        model: { dir: r.model.dir, runId: r.model.runId, step: r.model.step },
        elapsedMs: performance.now() - t0,
      };
    }),
  );
}
