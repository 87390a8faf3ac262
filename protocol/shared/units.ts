/** Human-readable sizes for the status bar, `mlm models` and the model picker: "1.2 GB", "420 MB", "12 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}

/**
 * "1.4 GiB" / "350 MiB": how the training-memory estimate, plan and refusal (train/memory.ts, `mlm doctor`, the
 * dashboard's System panel) write their figures.
 */
export function formatMemorySize(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}
