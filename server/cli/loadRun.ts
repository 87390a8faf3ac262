/** Shared by the commands that use a trained run (`mlm eval`, `mlm fill`). */
import { initBackend, type BackendChoice } from '../ml/backend';
import { loadRunForInference } from '../ml/checkpoint';
import { CliError } from './command';

/**
 * Starts the compute backend (`auto` unless named) and loads the run's checkpoint for inference. A backend
 * that cannot start or a run that cannot be loaded is a CliError naming the cause.
 */
export async function loadRunForCli(
  runDir: string,
  backend: string | undefined,
): ReturnType<typeof loadRunForInference> {
  try {
    await initBackend({ backend: (backend ?? 'auto') as BackendChoice });
    return await loadRunForInference(runDir);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}
