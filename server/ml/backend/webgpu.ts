/**
 * The WebGPU backend: Google's Dawn from the optional `webgpu` npm package (prebuilt for Linux, macOS and Windows:
 * Vulkan, Metal, D3D12) under @tensorflow/tfjs-backend-webgpu. `webgpu` is an ES module with a native addon, so it
 * is loaded with a dynamic import that esbuild leaves to Node (it is in the build's `external` list); when it is
 * missing or finds no adapter, every failure becomes a reason naming the cause and the fix.
 *
 * Software adapters (Mesa's llvmpipe/lavapipe, SwiftShader, WARP) are real WebGPU devices on the CPU: correct and
 * slow. `auto` never picks them; `backend: "webgpu"` does (that is how CI tests this backend on a machine without
 * a GPU).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerWebgpuKernels } from '../kernels/webgpu';
import { describeAdapter, platformApi, type GpuAdapterReport } from './gpuAdapter';

const PACKAGE = 'webgpu';
/** The version range package.json asks for (the install hint names it). */
const PACKAGE_RANGE = '0.6';

export type WebgpuProbe = { ok: true; adapter: GpuAdapterReport } | { ok: false; reason: string };

/** What Dawn's addon exports (types.d.ts of the `webgpu` package). */
interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Node's require, resolving from this file (dist/ when bundled, server/ml/backend/ under tsx). */
function nodeRequire(): NodeJS.Require {
  return createRequire(path.join(__dirname, 'index.js'));
}

/** The installed `webgpu` package's entry file, or undefined when it is not installed. */
function resolvePackage(): string | undefined {
  try {
    return nodeRequire().resolve(PACKAGE);
  } catch {
    return undefined;
  }
}

/** True when the optional `webgpu` package can be resolved (installed), without loading it. */
export function webgpuInstalled(): boolean {
  return resolvePackage() !== undefined;
}

/** The installed `webgpu` package's version, or undefined. */
export function webgpuVersion(): string | undefined {
  try {
    return (nodeRequire()(`${PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * A dynamic import that neither esbuild nor tsx turns into require(): `webgpu` is an ES module, which Node 20's
 * require() cannot load.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

let dawn: Promise<DawnModule> | undefined;

/**
 * Why Dawn is not loaded inside Electron (desktop VS Code's extension host, and a backend it starts with its own
 * runtime): dawn.node is an N-API addon, so it loads, but it hands out mapped GPU memory through
 * napi_create_external_arraybuffer, which Electron ≥ 21 refuses (V8 memory cage: "External buffers are not
 * allowed", dawn-gpu/node-webgpu#5), so every read of a result would fail. docs/compute.md, "Where Dawn loads".
 */
export function electronReason(electron: string): string {
  return (
    `Dawn cannot run inside Electron ${electron} (its V8 memory cage refuses the external ArrayBuffers Dawn maps ` +
    'GPU buffers into): start the backend with a system Node ≥ 20 — the extension does when `node` is on PATH, ' +
    'or set mlm.server.runtime'
  );
}

function loadDawn(): Promise<DawnModule> {
  dawn ??= (async () => {
    if (process.versions.electron) throw new Error(electronReason(process.versions.electron));
    const entry = resolvePackage();
    if (!entry) {
      throw new Error(
        `the optional package "${PACKAGE}" is not installed: run \`npm install ${PACKAGE}@${PACKAGE_RANGE}\` ` +
          'in the extension folder (its binaries come inside the npm package; nothing else is downloaded)',
      );
    }
    const mod = (await importEsm(`file://${entry}`)) as DawnModule;
    // tfjs-backend-webgpu uses the WebGPU globals (GPUBufferUsage, GPUMapMode, …) as a browser provides them.
    for (const [k, v] of Object.entries(mod.globals)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
    return mod;
  })();
  dawn.catch(() => {
    dawn = undefined;
  });
  return dawn;
}

let gpu: GPU | undefined;
let adapterPromise: Promise<GPUAdapter> | undefined;

/** Dawn's high-performance adapter; rejects naming the cause and the fix. Cached per thread. */
function requestAdapter(): Promise<GPUAdapter> {
  adapterPromise ??= (async () => {
    const mod = await loadDawn();
    gpu ??= mod.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      throw new Error(
        `Dawn found no WebGPU adapter (${platformApi()}): install the GPU's ${platformApi()} driver` +
          (process.platform === 'linux'
            ? ' (on Linux: `libvulkan1` and the vendor ICD, e.g. the NVIDIA driver or `mesa-vulkan-drivers`; ' +
              '`vulkaninfo --summary` should list the GPU)'
            : ''),
      );
    }
    return adapter;
  })();
  adapterPromise.catch(() => {
    adapterPromise = undefined;
  });
  return adapterPromise;
}

/** Loads Dawn and describes its adapter without creating a device; never throws. */
export async function probeWebgpu(): Promise<WebgpuProbe> {
  try {
    return { ok: true, adapter: describeAdapter(await requestAdapter()) };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

let registered = false;

/** tfjs-backend-webgpu checks `navigator.gpu` (a browser's) when its backend is constructed. */
function exposeNavigatorGpu(g: GPU): void {
  const holder = globalThis as { navigator?: { gpu?: GPU } };
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  if (holder.navigator!.gpu !== g) {
    Object.defineProperty(holder.navigator, 'gpu', { value: g, configurable: true });
  }
}

let deviceError: string | undefined;

/**
 * Dawn reports validation errors, out-of-memory and device loss asynchronously (a failed launch leaves its output
 * untouched, so results would be silently wrong): the first one is kept and thrown by `throwIfDeviceError`, which
 * every asynchronous read calls (server/ml/backend/read.ts).
 */
function watchDevice(device: GPUDevice): void {
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    const kind = e instanceof GPUOutOfMemoryError ? 'out of GPU memory' : e.constructor.name;
    deviceError ??= `${kind}: ${e.message.split('\n')[0]}`;
  });
  void device.lost.then((info) => {
    deviceError ??= `the GPU device was lost (${info.reason}): ${info.message}`;
  });
}

/** Throws the first device error since the device started (see watchDevice), naming what to do. */
export function throwIfDeviceError(): void {
  if (deviceError === undefined) return;
  const oom = deviceError.startsWith('out of GPU memory');
  throw new Error(
    `WebGPU device error: ${deviceError}; ` +
      (oom
        ? 'lower training.batchSize or seqLen, or use a smaller model preset'
        : 'results after it are not valid; restart the backend, and report it with `mlm doctor` output if it repeats'),
  );
}

/** tfjs's name of the backend. */
export const WEBGPU_BACKEND = 'webgpu';

/**
 * Creates the device with the adapter's limits (as tfjs-backend-webgpu's own factory does), registers the
 * `webgpu` tfjs backend on it and makes it the active backend. Throws naming the cause.
 */
export async function initWebgpu(): Promise<GpuAdapterReport> {
  const adapter = await requestAdapter();
  const report = describeAdapter(adapter);
  // Deferred: the package registers its ~150 kernels when evaluated, which only a webgpu run needs. It is
  // evaluated before navigator.gpu exists, so it does not register its own factory (which would pick its own
  // adapter); ours runs on this adapter.
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  exposeNavigatorGpu(gpu!);
  if (!registered) {
    const l = adapter.limits;
    const features: GPUFeatureName[] = ['timestamp-query', 'bgra8unorm-storage'];
    const device = await adapter.requestDevice({
      requiredFeatures: features.filter((f) => adapter.features.has(f)),
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      },
    });
    watchDevice(device);
    // The constructor's type names the browser's GPUDevice; Dawn's is the same interface.
    const backend = new WebGPUBackend(device, adapter.info);
    tf.registerBackend(WEBGPU_BACKEND, () => backend, 0);
    registerWebgpuKernels();
    registered = true;
  }
  if (!(await tf.setBackend(WEBGPU_BACKEND))) {
    throw new Error(`the WebGPU backend registered but failed to start on "${report.name}"`);
  }
  await tf.ready();
  return report;
}

/** The WebGPU backend's buffer memory (bytes held by tfjs's buffer manager on the device), when it runs. */
export function webgpuMemoryBytes(): number | undefined {
  if (tf.getBackend() !== WEBGPU_BACKEND) return undefined;
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number; numBytesInGPU?: number };
  return m.numBytesInGPUAllocated ?? m.numBytesInGPU;
}
