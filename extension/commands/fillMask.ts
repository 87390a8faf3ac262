/**
 * Fill Mask at Cursor (quick pick of predictions, inserts the chosen one) and mlm.replaceMask (hover links). The
 * backend finds the target at the cursor, cuts the window the model sees (the hover's, so a mask gets the same
 * answer either way) and says where each prediction goes: this side only shows and applies.
 */
import * as vscode from 'vscode';
import { FillMaskAtRequest, type ReplaceMaskArgs, type TextRange } from '../../protocol/inference';
import { readServerSettings } from '../config';
import type { Ctx } from '../context';

export interface FillMaskArgs {
  /** Pick this row (0-based) without showing the quick pick (tests, keybindings). */
  choose?: number;
}

const toRange = (r: TextRange): vscode.Range =>
  new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);

/** Resolves with the inserted token, or undefined when cancelled. */
export async function fillMaskAtCursor(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor)
    throw new Error('Fill Mask needs an editor: open a text file and put the cursor on [MASK] or a word.');
  const client = ctx.requireClient();
  const doc = editor.document;
  const version = doc.version;
  const pos = editor.selection.active;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MLM: predicting…' },
    () =>
      client.sendRequest(FillMaskAtRequest.type, {
        textDocument: { uri: doc.uri.toString() },
        text: doc.getText(),
        position: { line: pos.line, character: pos.character },
      }),
  );
  if (result.predictions.length === 0) {
    void vscode.window.showInformationMessage('The model returned no predictions for this position.');
    return undefined;
  }
  const items = result.predictions.map((p) => ({
    label: p.token,
    description: `${(p.score * 100).toFixed(1)}%`,
    detail: p.sequence.split('\n').find((l) => l.includes(p.token)) ?? p.sequence,
    prediction: p,
  }));
  const choose = (arg as FillMaskArgs | undefined)?.choose;
  const picked =
    typeof choose === 'number'
      ? items[choose]
      : await vscode.window.showQuickPick(items, {
          title: `Fill Mask — ${result.model.runId ?? result.model.dir}${result.model.step !== undefined ? ` @ step ${result.model.step}` : ''}`,
          placeHolder: result.target.kind === 'word' ? 'Replace the word with…' : 'Fill the mask with…',
          matchOnDetail: true,
        });
  if (!picked) return undefined;
  // The edit's range is in the text the backend saw: refuse it once the document has moved on.
  if (doc.version !== version) throw new Error('The document changed while predicting; run Fill Mask again.');
  const { range, text } = picked.prediction.edit;
  const ok = await editor.edit((b) => b.replace(toRange(range), text));
  if (!ok) throw new Error('The document changed while predicting; run Fill Mask again.');
  return picked.prediction.token;
}

/** A range and a replacement token (a hover link's edit), validated. */
function isEdit(v: unknown): v is { range: TextRange; token: string } {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  const pos = (p: unknown): boolean =>
    typeof p === 'object' &&
    p !== null &&
    Number.isInteger((p as { line?: unknown }).line) &&
    Number.isInteger((p as { character?: unknown }).character);
  const r = a.range as { start?: unknown; end?: unknown } | undefined;
  return (
    typeof a.token === 'string' &&
    a.token.length > 0 &&
    a.token.length <= 200 &&
    typeof r === 'object' &&
    r !== null &&
    pos(r.start) &&
    pos(r.end)
  );
}

function isReplaceMaskArgs(v: unknown): v is ReplaceMaskArgs {
  if (!isEdit(v)) return false;
  const a = v as unknown as Record<string, unknown>;
  return (
    typeof a.uri === 'string' &&
    (a.also === undefined || (Array.isArray(a.also) && a.also.length <= 64 && a.also.every(isEdit)))
  );
}

/**
 * Replaces the mask a hover row points at with that row's token, and for a joint completion's "fill all" every
 * other mask of the paragraph too, as one edit (one undo). Validates its (markdown-link) arguments.
 */
export async function replaceMask(ctx: Ctx, arg?: unknown): Promise<boolean> {
  if (!isReplaceMaskArgs(arg)) {
    ctx.log.warn(`mlm.replaceMask ignored malformed arguments: ${JSON.stringify(arg)?.slice(0, 200)}`);
    throw new Error('mlm.replaceMask needs { uri, range, token } (it is run from fill-mask hover links).');
  }
  const uri = vscode.Uri.parse(arg.uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  // Each range holds a mask, and for a WordPiece continuation the spaces before it (the backend's edit).
  const mask = readServerSettings().hover.maskToken;
  const edit = new vscode.WorkspaceEdit();
  for (const e of [{ range: arg.range, token: arg.token }, ...(arg.also ?? [])]) {
    const range = toRange(e.range);
    const held = doc.getText(range);
    if (!held.endsWith(mask) || !/^[ \t]*$/.test(held.slice(0, held.length - mask.length))) {
      throw new Error(`The ${mask} the hover pointed at has moved or is gone; hover over it again.`);
    }
    edit.replace(uri, range, e.token);
  }
  return vscode.workspace.applyEdit(edit);
}
