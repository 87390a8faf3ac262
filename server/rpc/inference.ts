/** Handlers of mlm/fillMask, mlm/fillMaskAt and mlm/loadCheckpoint (thin: validate, call the state, map errors). */
import type { Connection, TextDocuments } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import {
  FillMaskAtRequest,
  FillMaskRequest,
  LoadCheckpointRequest,
  MAX_FILL_BEAM,
  type TextPosition,
} from '../../protocol/inference';
import type { AppState } from '../app/appState';
import type { FillScope } from '../app/fillMaskModel';
import { cancellable, guarded } from './guarded';
import { fillQuery, gapBeforeMask, hoverFillParams, replacementFor } from './maskText';

export const MAX_FILL_TEXT = 100_000;

/** The largest document mlm/fillMaskAt accepts (the model only sees the window around the cursor). */
export const MAX_DOCUMENT_TEXT = 10_000_000;

const bad = (msg: string): never => {
  throw new MlmError(MlmErrorCodes.InvalidParams, msg);
};

const checkTopK = (topK: unknown): void => {
  if (!Number.isInteger(topK) || (topK as number) < 1 || (topK as number) > 50)
    bad(`topK must be an integer in 1..50, got ${JSON.stringify(topK)}`);
};

const checkBeam = (beam: unknown): void => {
  if (
    beam !== undefined &&
    (!Number.isInteger(beam) || (beam as number) < 0 || (beam as number) > MAX_FILL_BEAM)
  )
    bad(
      `beam must be an integer in 0..${MAX_FILL_BEAM} (0: no joint completions), got ${JSON.stringify(beam)}`,
    );
};

/** Validates mlm/fillMask params; throws InvalidParams naming the bad field. */
export function checkFillMaskParams(p: unknown): {
  text: string;
  topK: number;
  targets?: string[];
  beam?: number;
} {
  if (typeof p !== 'object' || p === null) bad('mlm/fillMask needs params { text, topK?, targets?, beam? }');
  const { text, topK = 5, targets, beam } = p as FillMaskRequest.Params;
  if (typeof text !== 'string' || !text.trim()) bad('text must be a non-empty string holding a mask token');
  if (text.length > MAX_FILL_TEXT) bad(`text is ${text.length} characters; the limit is ${MAX_FILL_TEXT}`);
  checkTopK(topK);
  if (
    targets !== undefined &&
    (!Array.isArray(targets) || targets.length > 1000 || !targets.every((t) => typeof t === 'string' && t))
  ) {
    bad('targets must be an array of at most 1000 non-empty strings');
  }
  checkBeam(beam);
  return { text, topK, targets, ...(beam === undefined ? {} : { beam }) };
}

/** Validates mlm/fillMaskAt params; throws InvalidParams naming the bad field. */
export function checkFillMaskAtParams(p: unknown): {
  uri: string;
  text: string;
  position: TextPosition;
  topK?: number;
} {
  if (typeof p !== 'object' || p === null)
    bad('mlm/fillMaskAt needs params { textDocument, text, position }');
  const { textDocument, text, position, topK } = p as FillMaskAtRequest.Params;
  if (typeof textDocument?.uri !== 'string' || !textDocument.uri)
    bad('textDocument.uri must be a non-empty string');
  if (typeof text !== 'string') bad('text must be the document text (a string)');
  if (text.length > MAX_DOCUMENT_TEXT)
    bad(`the document is ${text.length} characters; the limit is ${MAX_DOCUMENT_TEXT}`);
  const natural = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  if (!natural(position?.line) || !natural(position?.character))
    bad(`position must be { line, character } with integers >= 0, got ${JSON.stringify(position)}`);
  if (topK !== undefined) checkTopK(topK);
  return {
    uri: textDocument.uri,
    text,
    position: { line: position.line, character: position.character },
    topK,
  };
}

export function registerInference(
  connection: Connection,
  documents: TextDocuments<TextDocument>,
  app: AppState,
): void {
  connection.onRequest(
    FillMaskRequest.type,
    guarded((params, token) =>
      cancellable(token, () =>
        app.model.fill(checkFillMaskParams(params), () => token.isCancellationRequested),
      ),
    ),
  );
  connection.onRequest(
    FillMaskAtRequest.type,
    guarded(async (params, token): Promise<FillMaskAtRequest.Result> => {
      const p = checkFillMaskAtParams(params);
      const s = app.settings.hover;
      const doc = TextDocument.create(p.uri, 'plaintext', 0, p.text);
      const q = fillQuery(p.text, doc.offsetAt(p.position), s.maskToken);
      // The same text open here: scope the answer to that document version, so that a mask shares the hover's
      // cache entry (same window, same key) and an edit drops it.
      const open = documents.get(p.uri);
      const scope: FillScope | undefined =
        open && open.getText() === p.text
          ? {
              uri: p.uri,
              version: open.version,
              start: q.window.start,
              isCurrent: () => documents.get(p.uri)?.version === open.version,
            }
          : undefined;
      const r = await cancellable(token, () =>
        app.model.fill(
          // A mask asks exactly what its hover asks (one cache entry); a word or a new word needs no joint fill.
          hoverFillParams(q.window.text, {
            ...s,
            topK: p.topK ?? s.topK,
            jointCompletions: q.kind === 'mask' ? s.jointCompletions : 0,
          }),
          () => token.isCancellationRequested,
          scope,
          FillMaskAtRequest.method,
        ),
      );
      const range = { start: doc.positionAt(q.target[0]), end: doc.positionAt(q.target[1]) };
      const gap = gapBeforeMask(p.text, q.target[0]);
      const hit = r.masks.find((m) => m.offset[0] === q.window.mask[0]);
      const predictions = (hit?.predictions ?? []).map((pr) => {
        const e = replacementFor(pr.token, range, gap, q.pad);
        return { ...pr, edit: { range: e.range, text: e.token } };
      });
      return { target: { kind: q.kind, range }, predictions, model: r.model, elapsedMs: r.elapsedMs };
    }),
  );
  connection.onRequest(
    LoadCheckpointRequest.type,
    guarded((params) => {
      if (typeof params?.path !== 'string' || !params.path) {
        bad('mlm/loadCheckpoint needs { path } (a run or checkpoint folder)');
      }
      return app.loadCheckpoint(params.path);
    }),
  );
}
