// No imports: the server's main thread uses this without loading the training code.

/**
 * The one place a run's wasm thread count is chosen: the run config's `threads`, else the server's own setting,
 * else 1 when data parallel may be used ("auto" or N > 1; measured faster than the threaded binary), else
 * undefined (all cores).
 */
export function trainingThreads(
  config: { threads?: number | null; training: { dataParallel: number | 'auto' } },
  serverThreads?: number,
): number | undefined {
  if (config.threads !== undefined && config.threads !== null) return config.threads;
  if (serverThreads !== undefined) return serverThreads;
  const dp = config.training.dataParallel;
  return dp === 'auto' || dp > 1 ? 1 : undefined;
}
