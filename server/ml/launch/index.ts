/**
 * Handing a run to a distributed engine and bringing it back (docs/scale-out.md):
 *   writeLaunchBundle(opts)       → a self-contained torchrun bundle (train.py, launch.sh, model/, data/, README.md)
 *   importLaunchOutput(opts)      → the bundle's output as a run folder
 */
export { writeLaunchBundle } from './bundle';
export {
  BUNDLE_FILE,
  BUNDLE_OUTPUT,
  type BundleRecipe,
  type DataManifest,
  type LaunchOptions,
  type LaunchResult,
  type LaunchSource,
} from './bundleFormat';
export { importLaunchOutput, type ImportBundleOptions, type ImportBundleResult } from './importBundle';
