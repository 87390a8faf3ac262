/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Backend health: the one status source (`mlm/serverStatus`), the status query, the GPU/memory telemetry
 * (`mlm/gpu`) and the fatal notification sent before a deliberate exit.
 */
import { NotificationType, RequestType0 } from 'vscode-jsonrpc';
import type { MemoryEstimate } from './shared/memory';
import type { ServerState, TrainPhase } from './shared/runState';
import type { TaskModelInfo } from './shared/taskPrediction';

/** The model hovers and mlm/fillMask use right now. */
export interface LoadedModelInfo {
  /** Checkpoint directory the weights came from. */
  dir: string;
  runId?: string;
  step?: number;
  arch?: string;
  /**
   * 'published' = newest checkpoint of the current run; 'loaded' = chosen with mlm/loadCheckpoint; 'hub' = a Hugging
   * Face model chosen with mlm/useHubModel (runId is then its Hub id).
   */
  source: 'published' | 'loaded' | 'latest-run' | 'hub';
}

export interface ServerStatus {
  state: ServerState;
  /** Finer phase of the run (reading-corpus, training-tokenizer, building-examples, training, evaluating, ...). */
  phase?: TrainPhase;
  /** TensorFlow.js backend in use: 'tensorflow' (native), 'wasm', 'cpu'. Empty until initialised. */
  backend: string;
  /** Human-readable device, e.g. "wasm SIMD, 2 threads" or "CUDA: NVIDIA A100". */
  device: string;
  runId?: string;
  runDir?: string;
  step?: number;
  maxSteps?: number;
  /** Latest training loss. */
  loss?: number;
  /** Latest eval loss. */
  evalLoss?: number;
  /** Estimated seconds to the end of the run, when known. */
  etaSeconds?: number;
  /** One line for the user: progress detail, or the error and what to do. */
  message?: string;
  /**
   * Set while the run paused itself (a full disk: the folder, the space needed, what to do); cleared when it trains
   * again. The extension shows it once, with a Resume Training button.
   */
  pauseReason?: string;
  model?: LoadedModelInfo;
  /** The task model mlm/predict, Classify Selection and the selection hover use (a fine-tune run's checkpoint). */
  taskModel?: TaskModelInfo;
  /** The active (or last) run's memory estimate, sent before its first step (server/ml/train/memory.ts). */
  memory?: MemoryEstimate;
}

/** Backend → client, whenever any field of the status changes (throttled to a few per second). */
export namespace ServerStatusNotification {
  export const method = 'mlm/serverStatus' as const;
  export type Params = ServerStatus;
  export const type = new NotificationType<Params>(method);
}

/** Client → backend, any time (e.g. after a reconnect): the current status. */
export namespace StatusRequest {
  export const method = 'mlm/status' as const;
  export type Result = ServerStatus;
  export const type = new RequestType0<Result, void>(method);
}

/** One GPU as reported by nvidia-smi; null fields were "[N/A]" or unparsable. */
export interface GpuDevice {
  index: number;
  name: string;
  /** Percent 0..100. */
  utilizationPercent: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  temperatureC: number | null;
}

export interface TfMemory {
  numTensors: number;
  numBytes: number;
  numDataBuffers?: number;
  /** webgpu only: bytes of GPU buffers the backend holds (tfjs's buffer manager). */
  gpuBytes?: number;
}

/** The WebGPU device the backend trains on (backend "webgpu" only). */
export interface WebgpuTelemetry {
  /** The adapter's short name, e.g. "NVIDIA H100 80GB HBM3", "llvmpipe". */
  adapter: string;
  /** The native API under Dawn: Vulkan, Metal or D3D12. */
  api: string;
  /** A CPU implementation (lavapipe, SwiftShader, WARP). */
  software: boolean;
  /** GPU buffer memory held by the inference and trainer workers together, when known. */
  memoryBytes?: number;
}

export interface GpuTelemetry {
  /** Epoch milliseconds of the sample. */
  time: number;
  /** NVIDIA GPUs, or null when not available ("n/a"); `gpuMessage` says why. */
  gpus: GpuDevice[] | null;
  /** e.g. "no GPU: wasm on 2 cores", "nvidia-smi failed (exit 9): ...; retrying in 60 s". */
  gpuMessage: string;
  backend: string;
  cores: number;
  /** The WebGPU adapter and its memory in use, when the backend is webgpu. */
  webgpu?: WebgpuTelemetry;
  /** TF.js memory of the backend's main thread (inference model). */
  tfMemory: TfMemory;
  /** TF.js memory of the trainer worker, while a run is active. */
  trainerTfMemory?: TfMemory;
  /** Resident set size of the backend process (main thread + worker share it). */
  rssBytes: number;
  heapUsedBytes: number;
}

/** Backend → client, every telemetry tick (default 2 s) and once right after initialize. */
export namespace GpuNotification {
  export const method = 'mlm/gpu' as const;
  export type Params = GpuTelemetry;
  export const type = new NotificationType<Params>(method);
}

/**
 * Backend → client, once, right before a deliberate exit on a condition a restart cannot fix (backend failed to
 * load, invalid server configuration, uncaught error). The client must not restart on it and shows `message`.
 */
export namespace FatalNotification {
  export const method = 'mlm/fatal' as const;
  export interface Params {
    /** What went wrong and what to do. */
    message: string;
    /** Stack or further details for the log. */
    detail?: string;
    /** Exit code the process is about to use. */
    exitCode: number;
  }
  export const type = new NotificationType<Params>(method);
}

/** Short one-line rendering of a GPU device for logs and tooltips, e.g. "A100 43% · 5.1/80.0 GB · 61°C". */
export function formatGpuDevice(d: GpuDevice): string {
  const na = 'n/a';
  const util = d.utilizationPercent === null ? na : `${d.utilizationPercent}%`;
  const gb = (mib: number | null): string => (mib === null ? na : (mib / 1024).toFixed(1));
  const temp = d.temperatureC === null ? '' : ` · ${d.temperatureC}°C`;
  return `${d.name} ${util} · ${gb(d.memoryUsedMiB)}/${gb(d.memoryTotalMiB)} GB${temp}`;
}
