/**
 * What we know and say about a WebGPU adapter, without loading Dawn: the report (vendor, architecture, driver, API,
 * software or not, limits) that `mlm doctor`, BackendInfo and the status bar show, and whether this machine can
 * have a hardware adapter at all (backend selection asks that before loading Dawn). server/ml/backend/webgpu.ts
 * loads Dawn and runs the backend.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The adapter as reported to `mlm doctor`, the status bar and BackendInfo. */
export interface GpuAdapterReport {
  /** e.g. "nvidia", "mesa". */
  vendor: string;
  /** e.g. "ampere", "software". */
  architecture: string;
  /** e.g. "NVIDIA H100 80GB HBM3", "llvmpipe-llvm-15-0-6-256-bits-". */
  device: string;
  /** The driver's description, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  description: string;
  /** The native API Dawn drives on this platform: Vulkan (Linux), Metal (macOS), D3D12 (Windows). */
  api: string;
  /** A CPU implementation of the API (never chosen by `auto`). */
  software: boolean;
  /** Short name for the status bar: the device, else the description, else the vendor. */
  name: string;
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
  };
  features: string[];
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|warp|basic render|software/i;

/** The native API Dawn uses by default on this platform. */
export function platformApi(): string {
  if (process.platform === 'darwin') return 'Metal';
  if (process.platform === 'win32') return 'D3D12';
  return 'Vulkan';
}

export function describeAdapter(adapter: GPUAdapter): GpuAdapterReport {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  const l = adapter.limits;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    api: platformApi(),
    software: info.isFallbackAdapter === true || SOFTWARE.test(text),
    name: (info.description.split(':')[0] || info.device || info.vendor || 'unknown adapter').trim(),
    limits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
    features: [...adapter.features].map(String).sort(),
  };
}

/**
 * Whether this machine can have a hardware adapter, decided without loading Dawn (which prints driver warnings on
 * stderr and takes a moment): on Linux a GPU driver exposes a device file — a DRM render node (/dev/dri/renderD*:
 * AMD, Intel, NVIDIA's nvidia-drm), NVIDIA's /dev/nvidia0… or WSL's /dev/dxg. Without one only a software Vulkan
 * driver (lavapipe) could answer, which `auto` would not pick anyway, so `auto` does not probe WebGPU there (a
 * wasm user sees no GPU noise). macOS and Windows always have a GPU driver. `backend: "webgpu"` and the doctor
 * probe regardless.
 */
export function hardwareGpuPresence(
  platform: NodeJS.Platform = process.platform,
  devDir = '/dev',
): { present: true } | { present: false; reason: string } {
  if (platform !== 'linux') return { present: true };
  const list = (d: string): string[] => {
    try {
      return fs.readdirSync(d);
    } catch {
      return [];
    }
  };
  const found =
    list(path.join(devDir, 'dri')).some((f) => f.startsWith('renderD')) ||
    list(devDir).some((f) => /^nvidia\d+$/.test(f) || f === 'dxg');
  if (found) return { present: true };
  return {
    present: false,
    reason:
      `no GPU device on this machine (no ${devDir}/dri/renderD*, ${devDir}/nvidia0 or ${devDir}/dxg), so it was not ` +
      "probed; install the GPU's driver (in a container: pass the GPU through), or `--backend webgpu` to try anyway",
  };
}

const size = (n: number): string =>
  n >= 2 ** 30
    ? `${(n / 2 ** 30).toFixed(1)} GB`
    : n >= 2 ** 20
      ? `${Math.round(n / 2 ** 20)} MB`
      : `${n >> 10} KB`;

/** The doctor's description of an adapter: who made it, the driver, the API, software or not, and its limits. */
export function formatAdapter(a: GpuAdapterReport): string {
  return (
    `adapter "${a.name}" (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}); ` +
    `driver "${a.description || '?'}"; ${a.api}; ${a.software ? 'software (on the CPU: never picked by auto)' : 'hardware'}; ` +
    `limits: buffer ${size(a.limits.maxBufferSize)}, storage binding ${size(a.limits.maxStorageBufferBindingSize)}, ` +
    `workgroup memory ${size(a.limits.maxComputeWorkgroupStorageSize)}, ${a.limits.maxComputeInvocationsPerWorkgroup} invocations`
  );
}

/** One-line rendering for BackendInfo.device and the status bar: "WebGPU/Vulkan: llvmpipe (software)". */
export function webgpuDeviceLabel(a: GpuAdapterReport): string {
  return `WebGPU/${a.api}: ${a.name}${a.software ? ' (software adapter, slow)' : ''}`;
}
