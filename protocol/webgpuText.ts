/**
 * The one rendering of the WebGPU device for the status bar and the dashboard's system panel:
 * "GPU: NVIDIA H100 80GB HBM3 · WebGPU/Vulkan · 3.1 GB" (the memory is what the backend's buffers hold now).
 */
import type { WebgpuTelemetry } from './status';

/** "3.1 GB", "512 MB", "64 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}

export function webgpuSummary(w: WebgpuTelemetry): string {
  const parts = [`GPU: ${w.adapter}${w.software ? ' (software)' : ''}`, `WebGPU/${w.api}`];
  if (w.memoryBytes !== undefined) parts.push(formatBytes(w.memoryBytes));
  return parts.join(' · ');
}
