/**
 * Maps the user's mask token (a setting, e.g. "<mask>") and the other spelling of the mask (MASK_SPELLINGS:
 * "[MASK]" and "<mask>" are both understood) onto the tokenizer's own, and back, keeping each mask's offsets in the
 * user's text (pure).
 */
import { MASK_SPELLINGS } from '../../protocol/shared/fillMask';

export interface SubstitutedText {
  /** The text with every user mask replaced by the model's mask token. */
  text: string;
  /** [start, end) of each user mask in the original text, in order. */
  masks: Array<[number, number]>;
  /** Turns a model-side sequence back into the user's notation (remaining model masks → user masks). */
  restore(sequence: string): string;
}

export function substituteMasks(text: string, userMask: string, modelMask: string): SubstitutedText {
  const spellings = [...new Set([userMask, ...MASK_SPELLINGS])].filter((s) => s.length > 0);
  const masks: Array<[number, number]> = [];
  let out = '';
  let pos = 0;
  for (let i = 0; i < text.length;) {
    const s = spellings.find((m) => text.startsWith(m, i));
    if (!s) {
      i++;
      continue;
    }
    masks.push([i, i + s.length]);
    out += text.slice(pos, i) + modelMask;
    i += s.length;
    pos = i;
  }
  out += text.slice(pos);
  if (masks.length === 0) return { text, masks, restore: (s) => s };
  return {
    text: out,
    masks,
    restore: (s) => (userMask === modelMask ? s : s.split(modelMask).join(userMask)),
  };
}
