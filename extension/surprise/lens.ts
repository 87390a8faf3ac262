/**
 * The surprise lens: MLM: Show Surprising Words (or `mlm.surprise.languages`) has the backend score every word of
 * the visible text (mlm/surprise) and underlines the least likely ones; hovering one shows its probability and the
 * model's alternatives, each a one-click replacement (mlm.replaceWord); `mlm.surprise.problems` also lists them in
 * the Problems panel. Scrolling and editing ask again after a short pause; the backend re-scores only the passages
 * that changed, and the request in flight is cancelled when a newer one starts.
 */
import * as vscode from 'vscode';
import type { TextRange } from '../../protocol/inference';
import { SurpriseRequest, type ReplaceWordArgs, type SurpriseWord } from '../../protocol/surprise';
import { readClientSettings } from '../config';
import type { Ctx } from '../context';
import { pickSurprising, surpriseHoverMarkdown, formatProbability } from './pick';

/** Pause after typing or scrolling before the lens asks the backend again. */
const DEBOUNCE_MS = 300;

const toRange = (r: TextRange): vscode.Range =>
  new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);

interface DocState {
  version: number;
  marked: SurpriseWord[];
  model: string;
}

/** What the command answers once the lens has marked the active editor (tests, scripts). */
export interface LensResult {
  enabled: boolean;
  scored: number;
  marked: Array<{ word: string; probability: number; line: number }>;
}

export class SurpriseLens implements vscode.Disposable {
  private readonly on = new Set<string>();
  private readonly off = new Set<string>();
  private readonly states = new Map<string, DocState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Map<string, vscode.CancellationTokenSource>();
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    textDecoration: 'underline wavy',
    color: undefined,
    overviewRulerColor: new vscode.ThemeColor('editorInfo.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    light: { textDecoration: 'underline wavy #b58900' },
    dark: { textDecoration: 'underline wavy #e2c08d' },
  });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('mlm-surprise');
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      this.decoration,
      this.diagnostics,
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor.document)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.isOn(e.document)) this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('mlm.surprise') && this.refreshAll(),
      ),
      ctx.onServerStarted(() => this.refreshAll()),
      vscode.languages.registerHoverProvider({ scheme: '*' }, { provideHover: (d, p) => this.hover(d, p) }),
    );
    this.refreshAll();
  }

  /** MLM: Show Surprising Words: toggles the lens for the active editor; resolves once it has marked it. */
  async toggle(): Promise<LensResult> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error('Show Surprising Words needs an editor: open a text file first.');
    const doc = editor.document;
    const uri = doc.uri.toString();
    if (this.isOn(doc)) {
      this.on.delete(uri);
      this.off.add(uri);
      this.forget(uri);
      return { enabled: false, scored: 0, marked: [] };
    }
    this.off.delete(uri);
    this.on.add(uri);
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'MLM: scoring words…' },
      () => this.run(doc, true),
    );
    return r ?? { enabled: true, scored: 0, marked: [] };
  }

  /** Replaces a marked word with an alternative (hover link), if the range still holds the word. */
  async replaceWord(arg: unknown): Promise<boolean> {
    const a = arg as Partial<ReplaceWordArgs> | undefined;
    const pos = (p: unknown): boolean =>
      typeof p === 'object' &&
      p !== null &&
      Number.isInteger((p as { line?: unknown }).line) &&
      Number.isInteger((p as { character?: unknown }).character);
    if (
      typeof a?.uri !== 'string' ||
      typeof a.word !== 'string' ||
      typeof a.token !== 'string' ||
      !a.token ||
      a.token.length > 200 ||
      !a.range ||
      !pos(a.range.start) ||
      !pos(a.range.end)
    )
      throw new Error(
        'mlm.replaceWord needs { uri, range, word, token } (it is run from surprise-lens hovers).',
      );
    const uri = vscode.Uri.parse(a.uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const range = toRange(a.range);
    if (doc.getText(range) !== a.word)
      throw new Error(`"${a.word}" has moved or changed since the lens marked it; hover over it again.`);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, range, a.token);
    return vscode.workspace.applyEdit(edit);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const c of this.inflight.values()) c.cancel();
    for (const d of this.disposables) d.dispose();
  }

  private isOn(doc: vscode.TextDocument): boolean {
    const uri = doc.uri.toString();
    if (this.on.has(uri)) return true;
    return !this.off.has(uri) && readClientSettings().settings.surprise.languages.includes(doc.languageId);
  }

  private refreshAll(): void {
    for (const e of vscode.window.visibleTextEditors) {
      if (this.isOn(e.document)) this.schedule(e.document);
      else if (this.states.has(e.document.uri.toString())) this.forget(e.document.uri.toString());
    }
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!this.isOn(doc)) return;
    const uri = doc.uri.toString();
    clearTimeout(this.timers.get(uri));
    this.timers.set(
      uri,
      setTimeout(() => void this.run(doc), DEBOUNCE_MS),
    );
  }

  private forget(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.inflight.get(uri)?.cancel();
    this.states.delete(uri);
    this.diagnostics.delete(vscode.Uri.parse(uri));
    for (const e of vscode.window.visibleTextEditors)
      if (e.document.uri.toString() === uri) e.setDecorations(this.decoration, []);
  }

  /** Scores the visible part of doc and marks it; `explicit` (the command) lets a failure reach the caller. */
  private async run(doc: vscode.TextDocument, explicit = false): Promise<LensResult | undefined> {
    const uri = doc.uri.toString();
    if (!this.isOn(doc)) return undefined;
    if (!this.ctx.running) {
      if (explicit) this.ctx.requireClient(); // throws, saying how to start the backend
      return undefined;
    }
    this.inflight.get(uri)?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.inflight.set(uri, cts);
    const editors = vscode.window.visibleTextEditors.filter((e) => e.document === doc);
    const ranges = editors
      .flatMap((e) => e.visibleRanges)
      .map((r) => ({
        start: { line: Math.max(0, r.start.line - 5), character: 0 },
        end: { line: r.end.line + 5, character: 0 },
      }));
    try {
      const r = await this.ctx
        .requireClient()
        .sendRequest(
          SurpriseRequest.type,
          { textDocument: { uri }, ...(ranges.length ? { ranges } : {}) },
          cts.token,
        );
      if (cts.token.isCancellationRequested || r.version !== doc.version || !this.isOn(doc)) return undefined;
      const s = readClientSettings().settings.surprise;
      const marked = pickSurprising(r.words, s.threshold);
      const model = `${r.model.runId ?? r.model.dir}${r.model.step === undefined ? '' : `, step ${r.model.step}`}`;
      this.states.set(uri, { version: r.version, marked, model });
      for (const e of vscode.window.visibleTextEditors.filter((x) => x.document === doc))
        e.setDecorations(
          this.decoration,
          marked.map((w) => ({ range: toRange(w.range) })),
        );
      if (s.problems) {
        this.diagnostics.set(
          doc.uri,
          marked
            .filter((w) => w.probability < s.problemThreshold)
            .map((w) => {
              const alt = w.alternatives.map((a) => a.token).join(', ');
              const d = new vscode.Diagnostic(
                toRange(w.range),
                `Surprising word "${w.word}" (${formatProbability(w.probability)})${alt ? `; the model expected: ${alt}` : ''}`,
                vscode.DiagnosticSeverity.Information,
              );
              d.source = 'MLM surprise lens';
              return d;
            }),
        );
      } else this.diagnostics.delete(doc.uri);
      return {
        enabled: true,
        scored: r.words.length,
        marked: marked.map((w) => ({ word: w.word, probability: w.probability, line: w.range.start.line })),
      };
    } catch (err) {
      if (cts.token.isCancellationRequested) return undefined;
      if (explicit) throw err;
      this.ctx.log.warn(`surprise lens: ${(err as Error).message}`);
      return undefined;
    } finally {
      if (this.inflight.get(uri) === cts) this.inflight.delete(uri);
      cts.dispose();
    }
  }

  private hover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const s = this.states.get(doc.uri.toString());
    if (!s || s.version !== doc.version) return undefined;
    const w = s.marked.find((m) => toRange(m.range).contains(position));
    if (!w) return undefined;
    const md = new vscode.MarkdownString(surpriseHoverMarkdown(doc.uri.toString(), w, s.model));
    md.isTrusted = { enabledCommands: ['mlm.replaceWord'] };
    return new vscode.Hover(md, toRange(w.range));
  }
}
