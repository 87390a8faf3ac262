/**
 * Parses the output of
 *   nvidia-smi --query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu --format=csv,noheader,nounits
 * one line per GPU, e.g. "NVIDIA A100-SXM4-80GB, 43, 5120, 81920, 61". Fields nvidia-smi cannot read come as
 * "[N/A]" (or "[Not Supported]", "N/A"): they become null, never NaN and never an exception.
 */
import type { GpuDevice } from '../../protocol/status';

export const NVIDIA_SMI_ARGS = [
  '--query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu',
  '--format=csv,noheader,nounits',
] as const;

/** A numeric field, or null for "[N/A]", "[Not Supported]", empty or anything non-numeric. */
export function parseSmiNumber(field: string): number | null {
  const s = field.trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/**
 * One GPU per non-empty line. The name may itself contain commas, so the four numeric fields are taken from the
 * right. Lines with fewer than five fields are skipped (and counted in `badLines`).
 */
export function parseNvidiaSmiCsv(stdout: string): { gpus: GpuDevice[]; badLines: number } {
  const gpus: GpuDevice[] = [];
  let badLines = 0;
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const fields = line.split(',');
    if (fields.length < 5) {
      badLines++;
      continue;
    }
    const [util, used, total, temp] = fields.slice(-4).map(parseSmiNumber);
    gpus.push({
      index: gpus.length,
      name: fields.slice(0, -4).join(',').trim() || 'GPU',
      utilizationPercent: util,
      memoryUsedMiB: used,
      memoryTotalMiB: total,
      temperatureC: temp,
    });
  }
  return { gpus, badLines };
}
