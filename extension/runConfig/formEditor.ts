/**
 * The run-config form: the default editor of `*.mlm.json` (a CustomTextEditorProvider, view type
 * RUN_CONFIG_FORM_VIEW_TYPE). The webview (media/runConfigForm/) renders the form from the JSON Schema; this side owns
 * the TextDocument. Every change the form asks for is checked with parseRunConfig (the one validator of run configs)
 * and written as one WorkspaceEdit of the changed characters (jsonc-parser `modify`: comments and unknown keys stay),
 * so undo/redo, dirty state and saving are VS Code's own; every change of the text re-renders the form.
 */
import * as vscode from 'vscode';
import {
  isFormToHostMessage,
  type FormToHostMessage,
  type HostToFormMessage,
} from '../../protocol/runConfigFormMessages';
import { describeError } from '../commands/errors';
import { DASHBOARD_MEDIA, makeNonce, webviewHtml } from '../dashboard/html';
import { webviewOptions } from '../dashboard/panel';
import { RUN_CONFIG_FORM_VIEW_TYPE, uriFromArg } from './files';
import { editedText, formDocument } from './formDocument';
import { readJsonText, replacementBetween, withValues } from './jsonText';
import { RUN_CONFIG_PRESETS } from './presets';

export class RunConfigFormProvider implements vscode.CustomTextEditorProvider {
  static register(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(
      RUN_CONFIG_FORM_VIEW_TYPE,
      new RunConfigFormProvider(extensionUri, log),
      { supportsMultipleEditorsPerDocument: true },
    );
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    webview.options = webviewOptions(this.extensionUri);
    const media = (file: string) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...DASHBOARD_MEDIA, file)).toString();
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: media('runConfigForm.js'),
      styleUris: [media('runConfigForm.css')],
      title: 'Run configuration',
      body: { file: vscode.workspace.asRelativePath(document.uri) },
      loading: 'Loading the run configuration form…',
    });
    const post = (m: HostToFormMessage): void => void webview.postMessage(m);
    let queue: Promise<void> = Promise.resolve();
    const subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === document && e.contentChanges.length > 0) post(formDocument(document.getText()));
      }),
      webview.onDidReceiveMessage((m: unknown) => {
        if (!isFormToHostMessage(m)) {
          this.log.warn(`run-config form: ignored a malformed message ${JSON.stringify(m).slice(0, 200)}`);
          return;
        }
        // One message at a time: each edit is computed from the text the previous one left.
        queue = queue
          .then(() => this.receive(document, m, post))
          .catch((err: unknown) => {
            this.log.error(`run-config form (${document.uri.fsPath}): ${describeError(err)}`);
            void vscode.window.showErrorMessage(
              `MLM: the run-config form could not do that: ${describeError(err)}`,
            );
          });
      }),
    ];
    panel.onDidDispose(() => subscriptions.forEach((s) => s.dispose()));
  }

  private async receive(
    document: vscode.TextDocument,
    m: FormToHostMessage,
    post: (m: HostToFormMessage) => void,
  ): Promise<void> {
    switch (m.type) {
      case 'ready':
        post(formDocument(document.getText()));
        return;
      case 'edit':
        return this.edit(document, m.path, m.value, post);
      case 'pickPath': {
        const picked = await pickPaths(m.kind, m.append, m.path.join('.'));
        if (!picked) return;
        const read = readJsonText(document.getText());
        const current = read.ok ? valueAt(read.value, m.path) : undefined;
        const value = m.append ? [...(Array.isArray(current) ? current : []), ...picked] : picked[0];
        return this.edit(document, m.path, value, post);
      }
      case 'applyPreset': {
        const preset = RUN_CONFIG_PRESETS.find((p) => p.id === m.id);
        if (!preset) throw new Error(`there is no preset "${m.id}"`);
        const text = document.getText();
        if (!readJsonText(text).ok) throw new Error('the file is not valid JSON: fix it as text first');
        await replaceText(document, text, withValues(text, preset.config));
        return;
      }
      case 'openText':
        await reopenWith(document.uri, 'default');
        return;
    }
  }

  private async edit(
    document: vscode.TextDocument,
    path: string[],
    value: unknown,
    post: (m: HostToFormMessage) => void,
  ): Promise<void> {
    const text = document.getText();
    const r = editedText(text, path, value);
    if (!r.ok) {
      post({ type: 'rejected', field: path.join('.'), message: r.message });
      return;
    }
    await replaceText(document, text, r.text);
  }
}

/** One WorkspaceEdit of the characters that differ (one undo step; the cursor of a text editor stays put). */
async function replaceText(document: vscode.TextDocument, before: string, after: string): Promise<void> {
  const r = replacementBetween(before, after);
  if (!r) return;
  const edit = new vscode.WorkspaceEdit();
  const range = new vscode.Range(document.positionAt(r.offset), document.positionAt(r.offset + r.length));
  edit.replace(document.uri, range, r.content);
  if (!(await vscode.workspace.applyEdit(edit)))
    throw new Error(`VS Code refused the edit of ${vscode.workspace.asRelativePath(document.uri)}`);
}

function valueAt(value: unknown, path: string[]): unknown {
  let v = value;
  for (const k of path)
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** Paths from a file or folder dialog, relative to the workspace folder when inside it. */
async function pickPaths(
  kind: 'file' | 'folder',
  many: boolean,
  field: string,
): Promise<string[] | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: kind === 'file',
    canSelectFolders: kind === 'folder',
    canSelectMany: many,
    defaultUri: folder,
    openLabel: 'Use',
    title: `Choose ${many ? `${kind}s` : `a ${kind}`} for ${field}`,
  });
  if (!picked?.length) return undefined;
  return picked.map((uri) =>
    folder && uri.toString() === folder.toString() ? '.' : vscode.workspace.asRelativePath(uri, false),
  );
}

/**
 * Opens `uri` with another editor (`default` = the text editor, or the form's view type) in the active group, then
 * closes the editor it came from unless the document has unsaved changes (then both stay open: nothing is lost).
 */
export async function reopenWith(uri: vscode.Uri, viewType: string): Promise<void> {
  const group = vscode.window.tabGroups.activeTabGroup;
  const from = group.activeTab;
  const leaving = from && sameResource(from, uri) ? from.input instanceof vscode.TabInputCustom : undefined;
  await vscode.commands.executeCommand('vscode.openWith', uri, viewType, group.viewColumn);
  const dirty = vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString() && d.isDirty);
  if (leaving === undefined || dirty) return;
  // Tab objects are snapshots: look the one we came from up again in the group as it is now.
  const now = vscode.window.tabGroups.all.find((g) => g.viewColumn === group.viewColumn);
  const old = now?.tabs.filter(
    (t) => !t.isActive && sameResource(t, uri) && t.input instanceof vscode.TabInputCustom === leaving,
  );
  if (old?.length) await vscode.window.tabGroups.close(old, true);
}

function sameResource(tab: vscode.Tab, uri: vscode.Uri): boolean {
  return tabUri(tab)?.toString() === uri.toString();
}

function tabUri(tab: vscode.Tab | undefined): vscode.Uri | undefined {
  const input = tab?.input;
  return input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText
    ? input.uri
    : undefined;
}

/** The `*.mlm.json` of the active editor, form or text, when no Uri is given. */
export function activeRunConfigUri(): vscode.Uri | undefined {
  const uri = tabUri(vscode.window.tabGroups.activeTabGroup.activeTab);
  return uri?.path.endsWith('.mlm.json') ? uri : undefined;
}

/**
 * *Open as Text* / *Open in Form Editor*: reopens a run config (the argument's Uri, else the active editor's) with the
 * text editor (`default`) or the form. Returns the Uri, or undefined when no run config is at hand.
 */
export async function reopenRunConfig(arg: unknown, viewType: string): Promise<vscode.Uri | undefined> {
  const uri = uriFromArg(arg) ?? activeRunConfigUri();
  if (!uri) {
    void vscode.window.showInformationMessage(
      'MLM: open a run configuration (*.mlm.json) first, or use MLM: Edit Run Configuration.',
    );
    return undefined;
  }
  await reopenWith(uri, viewType);
  return uri;
}
