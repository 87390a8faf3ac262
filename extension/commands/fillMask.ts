/** Fill Mask at Cursor (quick pick of predictions, inserts the chosen one) and mlm.replaceMask (hover links). */
import * as vscode from 'vscode';
import { FillMaskRequest, type ReplaceMaskArgs } from '../../protocol/inference';
import { readServerSettings } from '../config';
import type { Ctx } from '../context';
import { buildMaskQuery, insertionText } from './maskQuery';

export interface FillMaskArgs {
  /** Pick this row (0-based) without showing the quick pick (tests, keybindings). */
  choose?: number;
}

/** Resolves with the inserted token, or undefined when cancelled. */
export async function fillMaskAtCursor(ctx: Ctx, arg?: unknown): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor)
    throw new Error('Fill Mask needs an editor: open a text file and put the cursor on [MASK] or a word.');
  const client = ctx.requireClient();
  const settings = readServerSettings();
  const doc = editor.document;
  const pos = editor.selection.active;
  const lines = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
  const query = buildMaskQuery(lines, pos.line, pos.character, settings.hover.maskToken);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MLM: predicting…' },
    () => client.sendRequest(FillMaskRequest.type, { text: query.text, topK: settings.hover.topK }),
  );
  const mask = result.masks.find((m) => m.offset[0] === query.maskOffset[0]) ?? result.masks[0];
  if (!mask || mask.predictions.length === 0) {
    void vscode.window.showInformationMessage('The model returned no predictions for this position.');
    return undefined;
  }
  const items = mask.predictions.map((p) => ({
    label: p.token,
    description: `${(p.score * 100).toFixed(1)}%`,
    detail: p.sequence.split('\n').find((l) => l.includes(p.token)) ?? p.sequence,
    token: p.token,
  }));
  const choose = (arg as FillMaskArgs | undefined)?.choose;
  const picked =
    typeof choose === 'number'
      ? items[choose]
      : await vscode.window.showQuickPick(items, {
          title: `Fill Mask — ${result.model.runId ?? result.model.dir}${result.model.step !== undefined ? ` @ step ${result.model.step}` : ''}`,
          placeHolder: query.kind === 'word' ? 'Replace the word with…' : 'Fill the mask with…',
          matchOnDetail: true,
        });
  if (!picked) return undefined;
  const range = new vscode.Range(
    query.replace.line,
    query.replace.start,
    query.replace.line,
    query.replace.end,
  );
  const text = insertionText(picked.token, query.kind, lines[query.replace.line], query.replace.start);
  const ok = await editor.edit((b) => b.replace(range, text));
  if (!ok) throw new Error('The document changed while predicting; run Fill Mask again.');
  return picked.token;
}

function isReplaceMaskArgs(v: unknown): v is ReplaceMaskArgs {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  const pos = (p: unknown): boolean =>
    typeof p === 'object' &&
    p !== null &&
    Number.isInteger((p as { line?: unknown }).line) &&
    Number.isInteger((p as { character?: unknown }).character);
  const r = a.range as { start?: unknown; end?: unknown } | undefined;
  return (
    typeof a.uri === 'string' &&
    typeof a.token === 'string' &&
    a.token.length > 0 &&
    a.token.length <= 200 &&
    typeof r === 'object' &&
    r !== null &&
    pos(r.start) &&
    pos(r.end)
  );
}

/** Replaces the mask a hover row points at with that row's token. Validates its (markdown-link) arguments. */
export async function replaceMask(ctx: Ctx, arg?: unknown): Promise<boolean> {
  if (!isReplaceMaskArgs(arg)) {
    ctx.log.warn(`mlm.replaceMask ignored malformed arguments: ${JSON.stringify(arg)?.slice(0, 200)}`);
    throw new Error('mlm.replaceMask needs { uri, range, token } (it is run from fill-mask hover links).');
  }
  const uri = vscode.Uri.parse(arg.uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  const { start, end } = arg.range;
  const range = new vscode.Range(start.line, start.character, end.line, end.character);
  const mask = readServerSettings().hover.maskToken;
  if (doc.getText(range) !== mask) {
    throw new Error(`The ${mask} the hover pointed at has moved or is gone; hover over it again.`);
  }
  const lineText = doc.lineAt(start.line).text;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, range, insertionText(arg.token, 'mask', lineText, start.character));
  return vscode.workspace.applyEdit(edit);
}
