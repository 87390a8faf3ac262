/**
 * Dashboard webview entry (browser IIFE, dist/media/dashboard.js). Receives typed messages from the extension
 * host, validates each with the protocol guard, and renders run progress, charts, the playground and the system
 * panel. UI state (selection, telemetry history, playground text) survives hide/reload through setState; the
 * metrics history, run details and corpus statistics are replayed by the host from the backend (mlm/runMetrics,
 * mlm/runDetails, mlm/corpusStats).
 */
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { GpuTelemetry, ServerStatus } from '../../protocol/status';
import type { RunInfo } from '../../protocol/training';
import {
  isHostToWebviewMessage,
  type FinishedRunSummary,
  type HostToWebviewMessage,
  type WebviewToHostMessage,
} from '../../protocol/webview';
import { h } from './dom';
import { Playground } from './playground';
import { ComparePanel } from './compare';
import { RunDetails } from './runDetails';
import { RunList } from './runList';
import { RunPanel } from './runPanel';
import { MetricStore } from './metricStore';
import { MAX_SAMPLES, SystemPanel } from './systemPanel';
import { TaskPanel } from './taskPanel';
import { TrainingCharts } from './trainingCharts';

interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What the webview keeps across hide / reload (small: metrics come back from disk). */
export interface PersistedState {
  selected: string[];
  samples: GpuTelemetry[];
  playgroundText: string;
  smoothing: number;
}

const vscode = acquireVsCodeApi();
const saved = readState(vscode.getState());
const initialSmoothing = Number(document.body.dataset.smoothing ?? '0.6');

const model = {
  status: undefined as ServerStatus | undefined,
  finished: undefined as FinishedRunSummary | undefined,
  runs: [] as RunInfo[],
  selected: saved?.selected ?? [],
  samples: saved?.samples ?? [],
  smoothing: saved?.smoothing ?? (Number.isFinite(initialSmoothing) ? initialSmoothing : 0.6),
  playgroundText: saved?.playgroundText ?? 'The cat sat on the [MASK].',
  store: new MetricStore(),
};

const send = (m: WebviewToHostMessage): void => vscode.postMessage(m);
const runPanel = new RunPanel((action) => send({ type: action }));
const runList = new RunList(
  (runIds) => {
    model.selected = runIds;
    persist();
    send({ type: 'selectRuns', runIds });
    runList.render(model.runs, model.selected);
    renderCharts();
  },
  (runId) => send({ type: 'showRun', runId }),
  (runIds) => send({ type: 'compareRuns', runIds }),
);
const details = new RunDetails(
  (runId) => send({ type: 'exportCsv', runId }),
  (action, runId) => send({ type: 'runAction', action, runId }),
);
const compare = new ComparePanel();
const charts = new TrainingCharts();
const taskPanel = new TaskPanel();
const system = new SystemPanel();
const playground = new Playground(
  model.playgroundText,
  (r) =>
    send({
      type: 'fillMask',
      requestId: r.requestId,
      text: r.text,
      topK: r.topK,
      ...(r.targets.length ? { targets: r.targets } : {}),
    }),
  (text) => {
    model.playgroundText = text;
    persist();
  },
);

const smoothingInput = h('input', {
  type: 'range',
  min: 0,
  max: 0.99,
  step: 0.01,
  value: model.smoothing,
  'aria-label': 'smoothing',
});
const smoothingValue = h('span', { class: 'muted', text: model.smoothing.toFixed(2) });
smoothingInput.addEventListener('input', () => {
  model.smoothing = Number(smoothingInput.value);
  smoothingValue.textContent = model.smoothing.toFixed(2);
  persist();
  renderCharts();
});

document
  .getElementById('app')
  ?.replaceChildren(
    h('header', {}, [h('h1', { text: 'MLM Training Dashboard' })]),
    runPanel.root,
    h('div', { class: 'charts-head' }, [
      h('h3', { text: 'Training curves' }),
      h('label', {}, ['Smoothing ', smoothingInput, smoothingValue]),
    ]),
    charts.root,
    taskPanel.root,
    h('div', { class: 'columns' }, [playground.root, runList.root]),
    compare.root,
    details.root,
    system.root,
  );

function readState(raw: unknown): PersistedState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Partial<PersistedState>;
  return {
    selected: Array.isArray(s.selected) ? s.selected.filter((x): x is string => typeof x === 'string') : [],
    samples: Array.isArray(s.samples) ? s.samples.slice(-MAX_SAMPLES) : [],
    playgroundText: typeof s.playgroundText === 'string' ? s.playgroundText : 'The cat sat on the [MASK].',
    smoothing: typeof s.smoothing === 'number' ? s.smoothing : 0.6,
  };
}

function persist(): void {
  vscode.setState({
    selected: model.selected,
    samples: model.samples,
    playgroundText: model.playgroundText,
    smoothing: model.smoothing,
  });
}

/** Runs drawn: the selection, else the active run. */
function drawnRuns(): string[] {
  if (model.selected.length) return model.selected;
  return model.status?.runId ? [model.status.runId] : [];
}

function renderCharts(): void {
  charts.render(model.store, drawnRuns(), model.smoothing);
  taskPanel.render(model.store, drawnRuns());
}

function renderRun(): void {
  const runId = model.status?.runId;
  runPanel.render(model.status, runId ? model.store.latest(runId, 'loss') : undefined, model.finished);
}

let chartFrame = 0;
/** Coalesces chart redraws to one per animation frame (metrics can arrive several times a second). */
function scheduleCharts(): void {
  if (chartFrame) return;
  chartFrame = requestAnimationFrame(() => {
    chartFrame = 0;
    renderCharts();
  });
}

function handle(message: HostToWebviewMessage): void {
  switch (message.type) {
    case 'status':
      model.status = message.status;
      renderRun();
      system.render(model.status, model.samples);
      playground.setModel(model.status.model);
      break;
    case 'metrics':
      model.store.add(message.runId, message.records);
      renderRun();
      scheduleCharts();
      break;
    case 'history':
      for (const run of message.runs) model.store.set(run.runId, run.records);
      renderRun();
      scheduleCharts();
      break;
    case 'gpu':
      model.samples.push(message.gpu);
      if (model.samples.length > MAX_SAMPLES) model.samples.splice(0, model.samples.length - MAX_SAMPLES);
      persist();
      system.render(model.status, model.samples);
      break;
    case 'fillMaskResult':
      playground.show(message.requestId, message.result, message.error);
      break;
    case 'runFinished':
      model.finished = message.finished;
      renderRun();
      break;
    case 'runs':
      model.runs = message.runs;
      model.selected = message.selected;
      persist();
      runList.render(model.runs, model.selected);
      scheduleCharts();
      break;
    case 'runDetails':
      details.render(message.details);
      break;
    case 'corpus':
      details.renderCorpus(message.corpus);
      break;
    case 'comparison':
      compare.render(message.runs);
      compare.root.scrollIntoView({ behavior: 'smooth', block: 'start' });
      break;
    default: {
      const never: never = message;
      console.warn('dashboard: unhandled message', never);
    }
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostToWebviewMessage(event.data)) {
    console.warn('dashboard: ignored a malformed message', event.data);
    return;
  }
  handle(event.data);
});

// Theme switches change the --vscode-* colours: rebuild charts with the new palette.
new MutationObserver(() => {
  charts.invalidate();
  taskPanel.invalidate();
  system.invalidate();
  renderCharts();
  system.render(model.status, model.samples);
  runList.render(model.runs, model.selected);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

system.render(undefined, model.samples);
runList.render([], model.selected);
send({ type: 'ready' });
