/** Conventions on Hugging Face parameter names shared by the models, the optimizer and checkpoints. */

/** Biases and LayerNorm parameters get no weight decay (Hugging Face Trainer convention). */
export function isNoDecayParameter(name: string): boolean {
  return name.endsWith('.bias') || name.includes('LayerNorm.') || name.endsWith('LayerNorm');
}
