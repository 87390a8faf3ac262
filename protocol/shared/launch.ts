/** What importing a launch bundle's output made (server/ml/launch, `mlm launch import`, mlm/importLaunch). */
export interface LaunchImportSummary {
  runDir: string;
  steps: number;
  epochs: number;
  /** Steps of the imported checkpoints, ascending. */
  checkpoints: number[];
  bestStep?: number;
  /** Metric rows imported. */
  metrics: number;
  /** How train.py ran, when it finished: processes and device type ("cpu", "cuda"). */
  processes?: number;
  device?: string;
}
