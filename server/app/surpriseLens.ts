/**
 * The surprise lens's backend half: passages of a document scored word by word on the inference worker, kept per
 * model generation so that an edit re-scores only the passage it touched. A passage goes to the worker in messages
 * of at most ROWS_PER_MESSAGE masked rows; hovers queue ahead of them (InferenceHost puts fills first), so a hover
 * waits for at most one such message, and a cancelled lens request stops between messages.
 */
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { WordScore } from '../ml/infer/surprise';
import type { InferenceHost } from '../worker/inferenceHost';
import type { LoadedModel } from '../worker/messages';

/** Masked rows (one per word piece) per worker message: bounds how long a hover can wait behind the lens. */
export const ROWS_PER_MESSAGE = 16;
/** Passages whose scores are kept (least recently used dropped first). */
export const SURPRISE_CACHE_ENTRIES = 4000;

export interface PassageScores {
  /** Per passage, in the order given: its words with offsets into the passage text. */
  results: WordScore[][];
  computed: number;
  cached: number;
  model: LoadedModel;
}

export class SurpriseLens {
  private readonly cache = new Map<string, WordScore[]>();
  private generation = -1;

  constructor(private readonly inference: InferenceHost) {}

  /** Scores the passages (cached ones from the cache); throws InferenceCancelled once isCancelled() holds. */
  async score(passages: string[], isCancelled: () => boolean): Promise<PassageScores> {
    if (!this.inference.model) {
      throw new MlmError(
        MlmErrorCodes.NoModel,
        'no model is loaded: run MLM: Use a Hugging Face Model…, MLM: Train MLM or MLM: Load Checkpoint first',
      );
    }
    this.adopt(this.inference.generation);
    let computed = 0;
    let cached = 0;
    let model = this.inference.model;
    const results: WordScore[][] = [];
    for (const text of passages) {
      const hit = this.cache.get(text);
      if (hit) {
        this.cache.delete(text);
        this.cache.set(text, hit);
        results.push(hit);
        cached++;
        continue;
      }
      const generation = this.inference.generation;
      const words: WordScore[] = [];
      for (let from: number | undefined = 0; from !== undefined;) {
        const r = await this.inference.request(
          { type: 'surprise', text, fromWord: from, maxRows: ROWS_PER_MESSAGE },
          isCancelled,
        );
        if (r.type !== 'surprise') throw new Error(`inference worker answered ${r.type} to surprise`);
        words.push(...r.words);
        model = r.model;
        from = r.nextWord;
      }
      if (generation === this.inference.generation) this.put(text, words);
      results.push(words);
      computed++;
    }
    return { results, computed, cached, model };
  }

  private put(text: string, words: WordScore[]): void {
    this.cache.set(text, words);
    while (this.cache.size > SURPRISE_CACHE_ENTRIES)
      this.cache.delete(this.cache.keys().next().value as string);
  }

  /** A new model generation makes every kept score stale. */
  private adopt(generation: number): void {
    if (generation === this.generation) return;
    this.generation = generation;
    this.cache.clear();
  }
}
