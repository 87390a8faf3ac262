/**
 * The Training Dashboard webview panel: one at a time, restored after a reload by a WebviewPanelSerializer.
 * Relays status, metrics and telemetry to the webview; validates every message from it; replays the runs' history
 * (mlm/runs, mlm/runMetrics), a run's details (mlm/runDetails) and the corpus index (mlm/corpusStats) whenever the
 * webview (re)loads, so nothing is queued while it is hidden. Everything comes over the protocol: the backend may be
 * on another machine, and the extension reads nothing under the runs folder.
 *
 * Over 300 lines: the panel's message relay and its history, details and corpus replay share the panel's state.
 */
import * as vscode from 'vscode';
import { FillMaskRequest } from '../../protocol/inference';
import type { MetricRecord } from '../../protocol/shared/metrics';
import { isRunActive } from '../../protocol/shared/runState';
import { CorpusStatsRequest } from '../../protocol/corpus';
import { RunDetailsRequest, RunMetricsRequest, RunsRequest, type RunInfo } from '../../protocol/training';
import {
  type RunAction,
  WEBVIEW_LIMITS,
  isWebviewToHostMessage,
  type HostToWebviewMessage,
  type WebviewToHostMessage,
} from '../../protocol/webview';
import { describeError } from '../commands/errors';
import { control } from '../commands/training';
import { readClientSettings } from '../config';
import type { Ctx } from '../context';
import { exportRunCsv } from './exportCsv';
import { fetchRunMetrics, mergeRecords } from './history';
import { finishedRunSummary } from './finished';
import { DASHBOARD_MEDIA, dashboardHtml, makeNonce } from './html';

export const DASHBOARD_VIEW_TYPE = 'mlmDashboard';
/** Runs overlaid by default: the active one and the newest others. */
const DEFAULT_SELECTED = 3;

/** The command each run-details button of the dashboard runs. */
const RUN_ACTION_COMMANDS: Record<RunAction, string> = {
  evaluate: 'mlm.evaluateRun',
  export: 'mlm.exportRun',
  compare: 'mlm.compareRuns',
  coverage: 'mlm.coverageReport',
};

export interface DashboardDebugInfo {
  open: boolean;
  visible: boolean;
  /** The webview script loaded and said `ready` (at least once). */
  ready: boolean;
  /** Messages posted to the webview, by type. */
  posted: Record<string, number>;
  /** Messages from the webview that failed validation. */
  rejected: number;
  /** The folders the webview may load files from (only the built media folder, dist/media). */
  localResourceRoots: string[];
  /** Run ids of the last run list posted (from mlm/runs). */
  runIds: string[];
  /** Rows of the last history posted, per run (from mlm/runMetrics + live rows). */
  historyRows: Record<string, number>;
  /** The run of the last details posted (from mlm/runDetails). */
  detailsRunId?: string;
}

export class Dashboard implements vscode.Disposable {
  private panel: DashboardPanel | undefined;
  private readonly registration: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.registration = vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        this.adopt(panel, selectedFromState(state));
      },
    });
  }

  async show(selected: string[] = []): Promise<void> {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      DASHBOARD_VIEW_TYPE,
      'MLM Training Dashboard',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(this.ctx.extension.extensionUri),
    );
    this.adopt(panel, selected);
  }

  /** Opens (or reveals) the dashboard comparing these runs (MLM: Compare Runs). */
  async compare(runIds: string[]): Promise<void> {
    if (!this.panel) await this.show(runIds);
    await this.panel?.compare(runIds);
    this.panel?.reveal();
  }

  /** Opens (or reveals) the dashboard with `runId` selected first: a run that appeared without training here (an import). */
  async showRun(runId: string): Promise<void> {
    if (!this.panel) return this.show([runId]);
    this.panel.select(runId);
    this.panel.reveal();
  }

  debugInfo(): DashboardDebugInfo {
    return (
      this.panel?.debugInfo() ?? {
        open: false,
        visible: false,
        ready: false,
        posted: {},
        rejected: 0,
        localResourceRoots: [],
        runIds: [],
        historyRows: {},
      }
    );
  }

  private adopt(panel: vscode.WebviewPanel, selected: string[]): void {
    panel.webview.options = webviewOptions(this.ctx.extension.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media', 'icon.png');
    this.panel = new DashboardPanel(panel, this.ctx, selected, () => (this.panel = undefined));
  }

  dispose(): void {
    this.registration.dispose();
    this.panel?.dispose();
  }
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    retainContextWhenHidden: false,
    // Only the built media folder (script, styles): nothing of the workspace, the runs or the rest of the extension.
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, ...DASHBOARD_MEDIA)],
  };
}

function selectedFromState(state: unknown): string[] {
  const s = (state as { selected?: unknown } | undefined)?.selected;
  return Array.isArray(s)
    ? s
        .filter((x): x is string => typeof x === 'string' && x.length <= WEBVIEW_LIMITS.maxIdLength)
        .slice(0, 20)
    : [];
}

class DashboardPanel {
  private readonly disposables: vscode.Disposable[] = [];
  private runs: RunInfo[] = [];
  /** The run listing in flight (status changes do not start a second one). */
  private listing: Promise<RunInfo[]> | undefined;
  private ready = false;
  /** The runs of the last Compare Runs (sent again when the webview reloads). */
  private comparing: string[] | undefined;
  /** The run whose details the webview shows (picked there); else the first selected one. */
  private shown: string | undefined;
  private rejected = 0;
  private readonly posted: Record<string, number> = {};
  private readonly historyRows: Record<string, number> = {};
  private detailsRunId: string | undefined;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    private selected: string[],
    onDispose: () => void,
  ) {
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => {
        onDispose();
        this.dispose();
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      ctx.onDidChange(() => {
        if (ctx.status) this.post({ type: 'status', status: ctx.status });
        const runId = ctx.status?.runId;
        if (runId && !this.listing && !this.runs.some((r) => r.runId === runId)) void this.sendRuns();
      }),
      ctx.onGpu((gpu) => this.post({ type: 'gpu', gpu })),
      ctx.onMetrics((m) => {
        if (!this.selected.includes(m.runId)) {
          this.selected = [m.runId, ...this.selected].slice(0, WEBVIEW_LIMITS.maxRuns);
          void this.sendRuns();
        }
        this.post({ type: 'metrics', runId: m.runId, records: m.records });
      }),
      ctx.onRunFinished((r) => {
        this.post({ type: 'runFinished', finished: finishedRunSummary(r) });
        void this.sendRuns();
      }),
      // A resumed run is redrawn from its checkpoint on: one curve, without the interrupted process's extra rows.
      ctx.onRunResumed(() => {
        if (this.ready) void this.sendRuns();
      }),
      // A (re)started or newly attached backend: its runs may differ.
      ctx.onServerStarted(() => {
        if (this.ready) void this.sendRuns();
      }),
    );
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  /** Compare Runs: these runs selected (drawn together) and their details side by side, now or once ready. */
  async compare(runIds: string[]): Promise<void> {
    this.comparing = runIds;
    this.selected = [...runIds, ...this.selected.filter((id) => !runIds.includes(id))].slice(
      0,
      WEBVIEW_LIMITS.maxRuns,
    );
    if (!this.ready) return;
    await this.sendRuns();
    await this.sendComparison(runIds);
  }

  private async sendComparison(runIds: string[]): Promise<void> {
    const client = this.ctx.requireClient();
    const runs = await Promise.all(
      runIds.map((runId) => client.sendRequest(RunDetailsRequest.type, { runId })),
    );
    this.post({ type: 'comparison', runs });
  }

  /** Puts `runId` first among the selected runs and lists the runs again (it may be new). */
  select(runId: string): void {
    this.selected = [runId, ...this.selected.filter((id) => id !== runId)].slice(0, WEBVIEW_LIMITS.maxRuns);
    if (this.ready) void this.sendRuns();
  }

  debugInfo(): DashboardDebugInfo {
    return {
      open: true,
      visible: this.panel.visible,
      ready: this.ready,
      posted: { ...this.posted },
      rejected: this.rejected,
      localResourceRoots: (this.panel.webview.options.localResourceRoots ?? []).map((u) => u.toString()),
      runIds: this.runs.map((r) => r.runId),
      historyRows: { ...this.historyRows },
      detailsRunId: this.detailsRunId,
    };
  }

  private html(): string {
    const webview = this.panel.webview;
    const root = this.ctx.extension.extensionUri;
    const uri = (...p: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(root, ...p)).toString();
    return dashboardHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: uri(...DASHBOARD_MEDIA, 'dashboard.js'),
      // The bundle's styles: uPlot's, then media/dashboard/dashboard.css (imported by media/dashboard/main.ts).
      styleUris: [uri(...DASHBOARD_MEDIA, 'dashboard.css')],
      smoothing: readClientSettings().settings.smoothing,
    });
  }

  /** Posts to the webview; a hidden (unloaded) webview drops it, and `ready` replays the state later. */
  private post(message: HostToWebviewMessage): void {
    this.posted[message.type] = (this.posted[message.type] ?? 0) + 1;
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    if (!isWebviewToHostMessage(raw)) {
      this.rejected++;
      this.ctx.log.warn(`dashboard: ignored an invalid message: ${safeJson(raw)}`);
      return;
    }
    void this.handle(raw).catch((err) =>
      this.ctx.log.error(`dashboard: ${raw.type} failed: ${describeError(err)}`),
    );
  }

  private async handle(m: WebviewToHostMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.ctx.status) this.post({ type: 'status', status: this.ctx.status });
        if (this.ctx.gpu) this.post({ type: 'gpu', gpu: this.ctx.gpu });
        if (this.ctx.lastFinished)
          this.post({ type: 'runFinished', finished: finishedRunSummary(this.ctx.lastFinished) });
        await this.sendRuns();
        if (this.comparing) await this.sendComparison(this.comparing);
        return;
      case 'pause':
      case 'resume':
      case 'stop':
        try {
          await control(this.ctx, m.type);
        } catch (err) {
          void vscode.window.showErrorMessage(describeError(err));
        }
        return;
      case 'fillMask':
        try {
          const result = await this.ctx.requireClient().sendRequest(FillMaskRequest.type, {
            text: m.text,
            topK: m.topK,
            ...(m.targets?.length ? { targets: m.targets } : {}),
            ...(m.beam === undefined ? {} : { beam: m.beam }),
          });
          this.post({ type: 'fillMaskResult', requestId: m.requestId, result });
        } catch (err) {
          this.post({ type: 'fillMaskResult', requestId: m.requestId, error: describeError(err) });
        }
        return;
      case 'selectRuns':
        this.selected = m.runIds;
        await this.sendHistory(m.runIds);
        return;
      case 'showRun':
        this.shown = m.runId;
        await this.sendDetails();
        return;
      case 'exportCsv':
        // requireClient inside `send`: a stopped backend is reported by exportRunCsv like a failed request.
        await exportRunCsv((p) => this.ctx.requireClient().sendRequest(RunMetricsRequest.type, p), m.runId);
        return;
      case 'compareRuns':
        await this.compare(m.runIds);
        return;
      case 'runAction':
        await vscode.commands.executeCommand(RUN_ACTION_COMMANDS[m.action], {
          [m.action === 'compare' ? 'with' : 'runId']: m.runId,
        });
        return;
      default: {
        const never: never = m;
        this.ctx.log.warn(`dashboard: unhandled message ${safeJson(never)}`);
      }
    }
  }

  /** Sends the run list (backend's mlm/runs, else the folders on disk) and the history of the selected runs. */
  private async sendRuns(): Promise<void> {
    this.listing = this.listRuns();
    try {
      this.runs = await this.listing;
    } finally {
      this.listing = undefined;
    }
    const known = new Set(this.runs.map((r) => r.runId));
    this.selected = this.selected.filter((id) => known.has(id));
    // The active run is always drawn, first.
    const running = isRunActive(this.ctx.status?.state);
    const active = this.runs.find((r) => r.active)?.runId ?? (running ? this.ctx.status?.runId : undefined);
    if (active && known.has(active) && this.selected[0] !== active) {
      this.selected = [active, ...this.selected.filter((id) => id !== active)].slice(
        0,
        WEBVIEW_LIMITS.maxRuns,
      );
    }
    if (this.selected.length === 0) {
      const active = this.runs.filter((r) => r.active).map((r) => r.runId);
      this.selected = [...active, ...this.runs.filter((r) => !r.active).map((r) => r.runId)].slice(
        0,
        DEFAULT_SELECTED,
      );
    }
    this.post({ type: 'runs', runs: this.runs.slice(0, WEBVIEW_LIMITS.maxRuns), selected: this.selected });
    await this.sendHistory(this.selected);
    await this.sendDetails();
  }

  /** The backend's runs (mlm/runs); none while no backend runs (they are listed once one is). */
  private async listRuns(): Promise<RunInfo[]> {
    if (!this.ctx.running) return [];
    try {
      return (await this.ctx.requireClient().sendRequest(RunsRequest.type, {})).runs;
    } catch (err) {
      this.ctx.log.warn(`dashboard: mlm/runs failed: ${describeError(err)}`);
      return [];
    }
  }

  private async sendHistory(runIds: readonly string[]): Promise<void> {
    const runs: Array<{ runId: string; records: MetricRecord[] }> = [];
    for (const runId of runIds) {
      if (!this.runs.some((r) => r.runId === runId) || !this.ctx.running) continue;
      const client = this.ctx.requireClient();
      let fetched: MetricRecord[] = [];
      try {
        fetched = await fetchRunMetrics(
          (p) => client.sendRequest(RunMetricsRequest.type, p),
          runId,
          WEBVIEW_LIMITS.maxRecords,
        );
      } catch (err) {
        this.ctx.log.warn(`dashboard: mlm/runMetrics ${runId} failed: ${describeError(err)}`);
      }
      // A resumed run: the rows on disk after its checkpoint may be the interrupted process's (not trained again yet).
      const cut = this.ctx.resumedFrom.get(runId);
      if (cut !== undefined) fetched = fetched.filter((r) => r.step <= cut);
      const records = mergeRecords(fetched, this.ctx.liveMetrics.get(runId) ?? []).slice(
        -WEBVIEW_LIMITS.maxRecords,
      );
      runs.push({ runId, records });
      this.historyRows[runId] = records.length;
    }
    this.post({ type: 'history', runs });
  }

  /** The details of the run shown (picked in the list, else the first selected) and the corpus index. */
  private async sendDetails(): Promise<void> {
    if (!this.ctx.running) return;
    const client = this.ctx.requireClient();
    try {
      this.post({ type: 'corpus', corpus: await client.sendRequest(CorpusStatsRequest.type) });
    } catch (err) {
      this.ctx.log.warn(`dashboard: mlm/corpusStats failed: ${describeError(err)}`);
    }
    const known = (id: string | undefined): id is string => !!id && this.runs.some((r) => r.runId === id);
    const runId = known(this.shown) ? this.shown : this.selected.find(known);
    if (!runId) return;
    try {
      this.post({ type: 'runDetails', details: await client.sendRequest(RunDetailsRequest.type, { runId }) });
      this.detailsRunId = runId;
    } catch (err) {
      this.ctx.log.warn(`dashboard: mlm/runDetails ${runId} failed: ${describeError(err)}`);
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
    this.panel.dispose();
  }
}

function safeJson(v: unknown): string {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 300);
  } catch {
    return '(unserialisable)';
  }
}
