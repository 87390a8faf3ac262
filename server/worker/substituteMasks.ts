/**
 * Maps the user's mask token (a setting, e.g. "<mask>") onto the tokenizer's own ("[MASK]") and back,
 * keeping each mask's offsets in the user's text (pure).
 */
export interface SubstitutedText {
  /** The text with every user mask replaced by the model's mask token. */
  text: string;
  /** [start, end) of each user mask in the original text, in order. */
  masks: Array<[number, number]>;
  /** Turns a model-side sequence back into the user's notation (remaining model masks → user masks). */
  restore(sequence: string): string;
}

export function substituteMasks(text: string, userMask: string, modelMask: string): SubstitutedText {
  const masks: Array<[number, number]> = [];
  for (
    let i = text.indexOf(userMask);
    userMask && i !== -1;
    i = text.indexOf(userMask, i + userMask.length)
  ) {
    masks.push([i, i + userMask.length]);
  }
  if (userMask === modelMask) return { text, masks, restore: (s) => s };
  return {
    text: text.split(userMask).join(modelMask),
    masks,
    restore: (s) => s.split(modelMask).join(userMask),
  };
}
