/**
 * Shows a run action's Markdown report (an evaluation, a coverage report) in the Markdown preview. The report is a
 * read-only virtual document (`mlm-report:/<name>.md`, served from memory): nothing is written into the workspace,
 * nothing asks to be saved, and a newer report of the same name replaces the older one.
 */
import * as vscode from 'vscode';

export const REPORT_SCHEME = 'mlm-report';

const reports = new Map<string, string>();
const changed = new vscode.EventEmitter<vscode.Uri>();
let registered: vscode.Disposable | undefined;

/** Opens the report in the Markdown preview; resolves with its document's URI. */
export async function showReport(name: string, markdown: string): Promise<vscode.Uri> {
  registered ??= vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, {
    onDidChange: changed.event,
    provideTextDocumentContent: (uri) => reports.get(uri.path) ?? '',
  });
  const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name.replace(/[^\w.-]+/g, '-')}.md` });
  reports.set(uri.path, markdown);
  changed.fire(uri);
  await vscode.commands.executeCommand('markdown.showPreview', uri);
  return uri;
}
