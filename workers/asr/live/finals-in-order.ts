/**
 * Final results of a live session's utterances, shown in the order they were spoken (a later
 * utterance's final may be ready first), with what the session learns from them: the language
 * spoken most, and the recent text that prompts the next utterances.
 */
import type { Segment } from '../../../src/domain/transcript/types';
import { MAX_PROMPT_TOKENS } from '../whisper/limits';

export interface Final {
  segment: Segment;
  ids: number[];
  language: string;
}

export class FinalsInOrder {
  /** Results waiting for earlier utterances (null: the utterance said nothing). */
  readonly #ready = new Map<number, Final | null>();
  #next = 1;
  /** Seconds of final text per language. */
  readonly #languageSeconds = new Map<string, number>();
  /** Text tokens of the most recent finals (at most a prompt's worth). */
  #history: number[] = [];
  /** Finals shown so far. */
  count = 0;

  /** Record utterance `id`'s result; returns the finals that are now next in order. */
  add(id: number, final: Final | null): Segment[] {
    this.#ready.set(id, final);
    const shown: Segment[] = [];
    while (this.#ready.has(this.#next)) {
      const r = this.#ready.get(this.#next);
      this.#ready.delete(this.#next++);
      if (!r) continue;
      this.count++;
      this.#languageSeconds.set(r.language, (this.#languageSeconds.get(r.language) ?? 0) + r.segment.end - r.segment.start);
      shown.push(r.segment);
      this.#history.push(...r.ids);
      if (this.#history.length > MAX_PROMPT_TOKENS) this.#history = this.#history.slice(-MAX_PROMPT_TOKENS);
    }
    return shown;
  }

  /** The language spoken most so far (null: nothing said yet). */
  language(): string | null {
    let best: string | null = null;
    for (const [language, seconds] of this.#languageSeconds) if (best === null || seconds > this.#languageSeconds.get(best)!) best = language;
    return best;
  }

  /** The most recent final text, as tokens. */
  get history(): readonly number[] {
    return this.#history;
  }
}
