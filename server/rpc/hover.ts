/**
 * textDocument/hover on a mask token: the top-k predictions for that mask as a markdown table with replace
 * links. The model sees the whole paragraph; with several masks there, the hover first shows the paragraph's best
 * completions found jointly (mlm.hover.jointCompletions), each with a link filling every mask. No model
 * → an explanatory hover (not an error); no answer within mlm.inference.deadlineSeconds (or a restarted worker) →
 * a "Model busy" hover naming why; anything else that fails → no hover (logged). Answers are cached per
 * document version and text window (FillMaskModel), so hovering the same mask again does not run the model.
 */
import fs from 'node:fs';
import { ResponseError, type Connection, type Hover, type TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { MODEL_BUSY_HOVER, NO_MODEL_HOVER } from '../../protocol/inference';
import { MASK_SPELLINGS } from '../../protocol/shared/fillMask';
import { escapeMarkdown } from '../../protocol/shared/markdown';
import type { AppState } from '../app/appState';
import { cancellable } from './guarded';
import { hoverMarkdown } from './hoverMarkdown';
import { gapBeforeMask, hoverFillParams, maskAt, maskContext } from './maskText';

export const UNTRUSTED_HOVER =
  'MLM fill-mask is off in Restricted Mode: trust this workspace to use its models (or run **MLM: Load Checkpoint**).';

export function registerHover(
  connection: Connection,
  documents: TextDocuments<TextDocument>,
  app: AppState,
): void {
  // Cached answers are per document version: an edited or closed document's entries are of no further use.
  documents.onDidChangeContent((e) => app.model.forgetDocument(e.document.uri));
  documents.onDidClose((e) => app.model.forgetDocument(e.document.uri));
  const hang = app.testHooks.hangHover;
  connection.onHover(async (params, token): Promise<Hover | null> => {
    if (hang) hangForTest(hang);
    const s = app.settings.hover;
    const doc = documents.get(params.textDocument.uri);
    if (!doc || !s.languages.includes(doc.languageId)) return null;
    const text = doc.getText();
    // The setting's mask token, else the other spelling ("<mask>" typed for RoBERTa while the setting is "[MASK]").
    const offset = doc.offsetAt(params.position);
    const maskToken = [s.maskToken, ...MASK_SPELLINGS].find((m) => maskAt(text, offset, m)) ?? s.maskToken;
    const mask = maskAt(text, offset, maskToken);
    if (!mask) return null;
    const range = { start: doc.positionAt(mask[0]), end: doc.positionAt(mask[1]) };
    const model = app.model.current;
    if (!model) {
      const value = app.trusted ? NO_MODEL_HOVER : UNTRUSTED_HOVER;
      return { contents: { kind: 'markdown', value }, range };
    }
    const ctx = maskContext(text, mask);
    try {
      const { uri, version } = doc;
      const r = await cancellable(token, () =>
        app.model.fill(hoverFillParams(ctx.text, { ...s, maskToken }), () => token.isCancellationRequested, {
          uri,
          version,
          start: ctx.start,
          isCurrent: () => documents.get(uri)?.version === version,
        }),
      );
      const hovered = r.masks.findIndex((m) => m.offset[0] === ctx.mask[0]);
      const hit = r.masks[hovered];
      if (!hit) return null;
      const label = `${r.model.runId ?? r.model.dir}${r.model.step === undefined ? '' : `, step ${r.model.step}`}`;
      const gapBefore = gapBeforeMask(text, mask[0]);
      const value = hoverMarkdown({
        uri: doc.uri,
        range,
        gapBefore,
        predictions: hit.predictions,
        modelLabel: label,
        joint: r.joint?.length
          ? {
              completions: r.joint,
              text: ctx.text,
              spans: r.masks.map((m) => m.offset),
              ranges: r.masks.map((m) => ({
                range: {
                  start: doc.positionAt(ctx.start + m.offset[0]),
                  end: doc.positionAt(ctx.start + m.offset[1]),
                },
                gapBefore: gapBeforeMask(text, ctx.start + m.offset[0]),
              })),
              hovered,
            }
          : undefined,
      });
      return { contents: { kind: 'markdown', value }, range };
    } catch (err) {
      if (err instanceof ResponseError) throw err; // RequestCancelled
      if (
        err instanceof MlmError &&
        (err.code === MlmErrorCodes.Busy || err.code === MlmErrorCodes.InferenceRestarted)
      ) {
        const value = `${MODEL_BUSY_HOVER}: ${escapeMarkdown(err.message)}`;
        return { contents: { kind: 'markdown', value }, range };
      }
      app.log('warn', `fill-mask hover failed: ${(err as Error).message}`);
      return null;
    }
  });
}

/**
 * Test hook (MLM_TEST_HANG_HOVER=<file>, see serverEnv.ts): writes <file>, then spins this thread for ever, as a
 * hover handler stuck in a busy loop would (reliability row 4: Restart Backend must still work on the first try).
 */
function hangForTest(file: string): void {
  fs.writeFileSync(file, `${process.pid}\n`);
  for (;;) {
    // busy loop: the event loop never turns again
  }
}
