/**
 * How the UI names the model that answers fill-mask (the status bar, its tooltip, the dashboard's system panel and
 * playground): its run id or Hugging Face Hub id, else its folder's name; with the checkpoint step when known.
 */
export interface ModelNameInput {
  dir: string;
  runId?: string;
  step?: number;
}

/** "org/tiny-roberta", "20261207-run @ step 200". */
export function modelLabel(m: ModelNameInput): string {
  const name = m.runId ?? m.dir.split(/[\\/]/).filter(Boolean).pop() ?? m.dir;
  return m.step !== undefined ? `${name} @ step ${m.step}` : name;
}

/** The name alone, at most `max` characters (an ellipsis in the middle keeps both ends readable). */
export function shortModelName(m: ModelNameInput, max = 32): string {
  const name = m.runId ?? m.dir.split(/[\\/]/).filter(Boolean).pop() ?? m.dir;
  if (name.length <= max) return name;
  const head = Math.ceil((max - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}
