/**
 * The status item as a pure function of what the backend last said (mlm/serverStatus, mlm/gpu) and of the
 * client's own view of the connection. No `vscode` import: unit-tested in plain Node.
 */
import { escapeMarkdown } from '../../protocol/shared/markdown';
import { modelLabel, shortModelName } from '../../protocol/shared/modelLabel';
import { formatBytes } from '../../protocol/shared/units';
import { isRunActive } from '../../protocol/shared/runState';
import { webgpuSummary } from '../../protocol/webgpuText';
import type { GpuDevice, GpuTelemetry, ServerStatus } from '../../protocol/status';

/** The client's view of the backend process (the server cannot report its own crash). */
export type ConnectionState = 'starting' | 'running' | 'restarting' | 'stopped' | 'untrusted';

export interface StatusInput {
  connection: ConnectionState;
  status?: ServerStatus;
  gpu?: GpuTelemetry;
  /** Why the client stopped (gave up after crashes, fatal message), shown in the tooltip. */
  clientMessage?: string;
  /** host:port of the remote backend attached to (mlm.server.mode "remote"); the item names it. */
  remote?: string;
}

export interface StatusView {
  /** Status-bar text with codicons, e.g. "$(pulse) step 120/1000 · loss 3.21". */
  text: string;
  /** Markdown tooltip (trusted for the listed command links only). */
  tooltip: string;
  /** 'warning' → statusBarItem.warningBackground, 'error' → statusBarItem.errorBackground. */
  severity: 'normal' | 'warning' | 'error';
  /** Command the click runs. */
  command: string;
  /** Commands the tooltip links to (the item's MarkdownString enables exactly these). */
  linkedCommands: string[];
}

const GIB = 1024;

/** "5.1/80 GB": used with one decimal, a total of 10 GB or more rounded to whole GB. */
export function formatGpuMemory(usedMiB: number | null, totalMiB: number | null): string {
  const used = usedMiB === null ? 'n/a' : (usedMiB / GIB).toFixed(1);
  const total =
    totalMiB === null
      ? 'n/a'
      : totalMiB / GIB >= 10
        ? String(Math.round(totalMiB / GIB))
        : (totalMiB / GIB).toFixed(1);
  return `${used}/${total} GB`;
}

/** "GPU 43% · 5.1/80 GB" for the first GPU; "+N" when there are more. */
export function formatGpuShort(gpus: GpuDevice[]): string {
  const d = gpus[0];
  const util = d.utilizationPercent === null ? 'n/a' : `${Math.round(d.utilizationPercent)}%`;
  const more = gpus.length > 1 ? ` (+${gpus.length - 1})` : '';
  return `GPU ${util} · ${formatGpuMemory(d.memoryUsedMiB, d.memoryTotalMiB)}${more}`;
}

export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  return Math.abs(loss) >= 100 ? loss.toFixed(0) : loss.toFixed(2);
}

/** "1h 02m", "3m 05s", "42s". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function stepText(s: ServerStatus): string {
  const step = s.step ?? 0;
  const parts = [s.maxSteps ? `step ${step}/${s.maxSteps}` : `step ${step}`];
  if (s.loss !== undefined) parts.push(`loss ${formatLoss(s.loss)}`);
  return parts.join(' · ');
}

/** The device summary shown when no run is active: GPU utilisation and memory, else "wasm · 2 cores". */
function deviceText(status: ServerStatus | undefined, gpu: GpuTelemetry | undefined): string {
  if (gpu?.webgpu) return webgpuSummary(gpu.webgpu);
  if (gpu?.gpus && gpu.gpus.length > 0) return formatGpuShort(gpu.gpus);
  // Until a worker has initialised TensorFlow.js the backend is not known yet: name the product instead.
  const backend = gpu?.backend || status?.backend || 'MLM';
  return gpu ? `${backend} · ${gpu.cores} ${gpu.cores === 1 ? 'core' : 'cores'}` : backend;
}

function mainText(input: StatusInput): { text: string; severity: StatusView['severity'] } {
  const { text, severity } = localText(input);
  const remote = input.remote;
  if (!remote) return { text, severity };
  switch (input.connection) {
    case 'starting':
      return { text: `$(loading~spin) MLM connecting to ${remote}…`, severity };
    case 'restarting':
      return { text: `$(loading~spin) MLM reconnecting to ${remote}…`, severity };
    case 'stopped':
      return { text: `$(error) MLM ${remote} disconnected`, severity };
    default:
      return { text: `${text} · $(remote) ${remote}`, severity };
  }
}

function localText(input: StatusInput): { text: string; severity: StatusView['severity'] } {
  const { connection, status, gpu } = input;
  switch (connection) {
    case 'starting':
      return { text: '$(loading~spin) MLM starting…', severity: 'normal' };
    case 'restarting':
      return { text: '$(loading~spin) MLM restarting…', severity: 'warning' };
    case 'stopped':
      return { text: '$(error) MLM stopped', severity: 'error' };
    case 'untrusted':
      return { text: '$(shield) MLM restricted', severity: 'normal' };
    case 'running':
      break;
  }
  switch (status?.state) {
    case 'training':
      return { text: `$(pulse) ${stepText(status)}`, severity: 'normal' };
    case 'paused':
      return { text: `$(debug-pause) paused · ${stepText(status)}`, severity: 'normal' };
    case 'preparing':
      return { text: `$(sync~spin) ${status.phase ?? 'preparing'}`, severity: 'normal' };
    case 'error':
      return { text: `$(warning) ${deviceText(status, gpu)}`, severity: 'warning' };
    // Server state 'stopped' means the user stopped the last run: the backend is alive and idle (the run's
    // outcome is in the tooltip). Only a dead connection is shown as "MLM stopped".
    // The model that answers hovers and Fill Mask is named beside the device.
    case 'stopped':
    default: {
      const model = status?.model ? ` · $(hubot) ${shortModelName(status.model)}` : '';
      return { text: `$(chip) ${deviceText(status, gpu)}${model}`, severity: 'normal' };
    }
  }
}

function tooltipLines(input: StatusInput): string[] {
  const { status, gpu, connection, clientMessage } = input;
  const lines: string[] = ['**MLM Studio**', ''];
  const row = (label: string, value: string | undefined): void => {
    if (value) lines.push(`- ${label}: ${escapeMarkdown(value)}`);
  };
  if (connection === 'untrusted') {
    lines.push(
      'Restricted Mode: training, corpus watching and fill-mask hovers are off until you trust this workspace.',
      '',
    );
  }
  if (clientMessage) lines.push(escapeMarkdown(clientMessage), '');
  if (input.remote) row('Remote backend', `${input.remote} (mlm serve --socket)`);
  if (status?.state === 'error' && status.message)
    lines.push(`$(warning) ${escapeMarkdown(status.message)}`, '');
  row('Backend', status?.backend || gpu?.backend);
  row('Device', status?.device);
  row('State', status ? (status.phase ? `${status.state} (${status.phase})` : status.state) : connection);
  row('Run', status?.runId);
  if (status?.step !== undefined)
    row('Step', status.maxSteps ? `${status.step} / ${status.maxSteps}` : `${status.step}`);
  if (status?.loss !== undefined) row('Loss', formatLoss(status.loss));
  if (status?.evalLoss !== undefined) row('Validation loss', formatLoss(status.evalLoss));
  if (status?.etaSeconds !== undefined) row('ETA', formatEta(status.etaSeconds));
  if (status?.state !== 'error') row('Detail', status?.message);
  if (status?.model) {
    const m = status.model;
    row('Model', `${modelLabel(m)} (${m.source})`);
  } else if (status) row('Model', 'none (train a run or load a checkpoint)');
  if (gpu) {
    if (gpu.webgpu) row('WebGPU', webgpuSummary(gpu.webgpu).replace(/^GPU: /, ''));
    if (gpu.gpus && gpu.gpus.length > 0) {
      for (const d of gpu.gpus) {
        const util = d.utilizationPercent === null ? 'n/a' : `${d.utilizationPercent}%`;
        row(`GPU ${d.index}`, `${d.name} ${util} · ${formatGpuMemory(d.memoryUsedMiB, d.memoryTotalMiB)}`);
      }
    } else if (!gpu.webgpu) row('GPU', `n/a — ${gpu.gpuMessage}`);
    row('CPU cores', String(gpu.cores));
    row('Tensors', String(gpu.tfMemory.numTensors + (gpu.trainerTfMemory?.numTensors ?? 0)));
    row('RSS', formatBytes(gpu.rssBytes));
  }
  return lines;
}

/** Renders the status item. Pure: same input, same output. */
export function renderStatus(input: StatusInput): StatusView {
  const { text, severity } = mainText(input);
  const active = isRunActive(input.status?.state);
  const links: Array<[string, string]> = [['Open Dashboard', 'mlm.openDashboard']];
  if (active) links.push(['Stop Training', 'mlm.stop']);
  if (input.connection === 'stopped') {
    links.push(
      input.remote
        ? ['Connect to Remote Backend…', 'mlm.connectRemote']
        : ['Restart Backend', 'mlm.restartServer'],
    );
  }
  if (input.connection === 'untrusted') links.push(['Manage Workspace Trust', 'workbench.trust.manage']);
  links.push(['Show Logs', 'mlm.showLogs']);
  const lines = tooltipLines(input);
  lines.push('', links.map(([label, cmd]) => `[${label}](command:${cmd})`).join(' · '));
  return {
    text,
    tooltip: lines.join('\n'),
    severity,
    command: 'mlm.openDashboard',
    linkedCommands: links.map(([, cmd]) => cmd),
  };
}
