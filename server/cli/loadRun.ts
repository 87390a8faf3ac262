/** Shared by the commands that use a trained run (`mlm eval`, `mlm fill`) or a Hugging Face model (`mlm fill`). */
import { initBackend, type BackendChoice } from '../ml/backend';
import { loadRunForInference } from '../ml/checkpoint';
import { loadForInference, type InferenceModel } from '../ml/hf';
import { CliError } from './command';
import { resolveModelWithProgress } from './hubModel';

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

/**
 * A model named by Hub id (from the Hugging Face cache, downloaded when missing), cache folder, Hugging Face folder
 * or run folder, loaded for inference on the compute backend (`auto` unless named).
 */
export async function loadModelForCli(spec: string, backend: string | undefined): Promise<InferenceModel> {
  const { dir } = await resolveModelWithProgress(spec, { cwd: process.cwd() });
  try {
    await initBackend({ backend: (backend ?? 'auto') as BackendChoice });
    return await loadForInference(dir);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}
