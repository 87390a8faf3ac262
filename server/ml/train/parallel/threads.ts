// No imports: the server's main thread uses this without loading the training code.

/**
 * The wasm threads a run's backend starts with when the config does not say: 1 when data parallel may be used
 * ("auto" or N > 1; measured faster than the threaded binary), else undefined (all cores).
 */
export function defaultTrainingThreads(training: { dataParallel: number | 'auto' }): number | undefined {
  return training.dataParallel === 'auto' || training.dataParallel > 1 ? 1 : undefined;
}
