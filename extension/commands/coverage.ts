/**
 * MLM: Tokenizer Coverage Report: how well a run's WordPiece vocabulary covers the words of the current file (or a
 * chosen word list file) — mlm/coverageReport, the same as `mlm tokenizer report` — shown as a Markdown table: the
 * share of words kept whole, mean pieces per word, the most fragmented and [UNK] words with their pieces.
 */
import * as vscode from 'vscode';
import { CoverageReportRequest } from '../../protocol/actions';
import type { Ctx } from '../context';
import { coverageMarkdown, coverageSummary } from './actionReports';
import { withBackendProgress } from './backendProgress';
import { pickRun } from './pickRun';
import { REPORT_SCHEME, showReport } from './reportView';

export interface CoverageArgs {
  runId?: string;
  /** Word list or text files (absent: the active editor's text, else a file dialog). */
  files?: string[];
  text?: string;
  top?: number;
  quiet?: boolean;
}

/** The text to report on: the active editor's (not a report itself), else a chosen file. */
async function pickText(): Promise<{ text?: string; files?: string[]; source: string } | undefined> {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.uri.scheme !== REPORT_SCHEME) {
    return { text: doc.getText(), source: vscode.workspace.asRelativePath(doc.uri) };
  }
  const uris = await vscode.window.showOpenDialog({
    title: 'Tokenizer Coverage Report: a word list or text file',
    canSelectFiles: true,
    canSelectMany: true,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Report',
  });
  if (!uris?.length) return undefined;
  return {
    files: uris.map((u) => u.fsPath),
    source: uris.map((u) => vscode.workspace.asRelativePath(u)).join(', '),
  };
}

export async function coverageCommand(
  ctx: Ctx,
  arg?: unknown,
): Promise<CoverageReportRequest.Result | undefined> {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as CoverageArgs;
  const client = ctx.requireClient();
  const given =
    a.text !== undefined
      ? { text: a.text, source: 'the given text' }
      : a.files?.length
        ? { files: a.files, source: a.files.join(', ') }
        : undefined;
  const text = given ?? (await pickText());
  if (!text) return undefined;
  const runId =
    a.runId ??
    (
      await pickRun(ctx, {
        title: `Tokenizer Coverage Report of ${text.source}`,
        placeHolder: 'The run whose tokenizer (vocabulary) to check',
        keep: () => true,
        none: 'No run yet: train one (MLM: Train MLM) or import one (MLM: Import Hugging Face Model…).',
      })
    )?.runId;
  if (!runId) return undefined;
  const r = await withBackendProgress(client, `MLM: coverage of ${text.source}`, (workDoneToken, cancel) =>
    client.sendRequest(
      CoverageReportRequest.type,
      { runId, text: text.text, files: text.files, top: a.top, workDoneToken },
      cancel,
    ),
  );
  if (!r) return undefined;
  if (!a.quiet) await showReport(`${runId}-coverage`, coverageMarkdown(r, text.source));
  void vscode.window.showInformationMessage(
    `MLM: ${runId}'s vocabulary on ${text.source}: ${coverageSummary(r)}.`,
  );
  return r;
}
