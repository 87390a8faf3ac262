/**
 * The one rendering of the WebGPU device for the status bar and the dashboard's system panel:
 * "GPU: NVIDIA H100 80GB HBM3 · WebGPU/Vulkan · 3.1 GB" (the memory is what the backend's buffers hold now).
 */
import { formatBytes } from './shared/units';
import type { WebgpuTelemetry } from './status';

export function webgpuSummary(w: WebgpuTelemetry): string {
  const parts = [`GPU: ${w.adapter}${w.software ? ' (software)' : ''}`, `WebGPU/${w.api}`];
  if (w.memoryBytes !== undefined) parts.push(formatBytes(w.memoryBytes));
  return parts.join(' · ');
}
