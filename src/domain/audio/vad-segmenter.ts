/**
 * Turns per-frame speech probabilities (Silero VAD, one per 512-sample frame at 16 kHz) into
 * utterances for live transcription. Pure and synchronous: the worker feeds it, tests feed it
 * recorded probabilities.
 *
 * Hysteresis as in Silero's own `VADIterator`: speech starts at p ≥ threshold and ends only after
 * `minSilenceFrames` in a row below `negThreshold`, so a dip between words does not cut. Frames
 * are counted from the start of the session; an utterance covers [start, end) in frames.
 */

export const VAD_FRAME_SAMPLES = 512;
/** Silero v5 wants the previous 64 samples prepended to every 512-sample frame. */
export const VAD_CONTEXT_SAMPLES = 64;

export interface VadOptions {
  threshold: number;
  negThreshold: number;
  /** Silence that ends an utterance. The live latency floor: the final pass waits for it. */
  minSilenceFrames: number;
  /** Utterances with less speech than this are dropped (coughs, clicks). */
  minSpeechFrames: number;
  /**
   * Audio kept before the first speech frame: Silero fires a frame or two into a word, and
   * Whisper wants the whole word; more than this puts silence where its training put speech.
   */
  preRollFrames: number;
  /** Audio kept after the last speech frame. */
  postRollFrames: number;
  /** An utterance this long is cut so a window (30 s) always holds it. */
  maxUtteranceFrames: number;
  /** Where a forced cut may fall: the quietest frame among this many last frames. */
  cutSearchFrames: number;
}

const FRAME_S = VAD_FRAME_SAMPLES / 16_000;
const frames = (seconds: number) => Math.round(seconds / FRAME_S);

export const DEFAULT_VAD_OPTIONS: VadOptions = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceFrames: frames(0.4),
  minSpeechFrames: frames(0.25),
  preRollFrames: frames(0.1),
  postRollFrames: frames(0.1),
  maxUtteranceFrames: frames(25),
  cutSearchFrames: frames(3),
};

export type VadEvent =
  | { type: 'start'; start: number }
  /**
   * `speechEnd`: the frame after the last speech frame (`end` adds the post-roll).
   * `forced`: cut for length, speech goes on in a new utterance starting at `end`.
   */
  | { type: 'end'; start: number; end: number; speechEnd: number; forced: boolean }
  | { type: 'discard'; start: number };

export class VadSegmenter {
  readonly options: VadOptions;
  /** Frames seen so far. */
  #frame = 0;
  /** Current utterance, or null between utterances. */
  #start: number | null = null;
  #lastSpeech = 0;
  #speechFrames = 0;
  #silenceRun = 0;
  /** Probabilities of the current utterance's frames, for choosing a forced cut. */
  #probs: number[] = [];
  /** End of the previous utterance: pre-roll never reaches back into it. */
  #previousEnd = 0;

  constructor(options: Partial<VadOptions> = {}) {
    this.options = { ...DEFAULT_VAD_OPTIONS, ...options };
  }

  get frame(): number {
    return this.#frame;
  }

  get inUtterance(): boolean {
    return this.#start !== null;
  }

  /** Start of the current utterance (frames), or null. */
  get utteranceStart(): number | null {
    return this.#start;
  }

  /** The frame after the current utterance's last speech frame. */
  get speechEnd(): number {
    return this.#lastSpeech + 1;
  }

  /** Frames of silence since the last speech frame, in the current utterance. */
  get silenceRun(): number {
    return this.#start === null ? 0 : this.#silenceRun;
  }

  push(probability: number): VadEvent[] {
    const o = this.options;
    const i = this.#frame++;
    const events: VadEvent[] = [];
    if (this.#start === null) {
      if (probability >= o.threshold) {
        this.#start = Math.max(this.#previousEnd, i - o.preRollFrames);
        this.#probs = [];
        for (let f = this.#start; f < i; f++) this.#probs.push(0);
        this.#lastSpeech = i;
        this.#speechFrames = 1;
        this.#silenceRun = 0;
        this.#probs.push(probability);
        events.push({ type: 'start', start: this.#start });
      }
      return events;
    }

    this.#probs.push(probability);
    if (probability >= o.threshold || (probability >= o.negThreshold && this.#silenceRun === 0)) {
      this.#lastSpeech = i;
      this.#speechFrames++;
      this.#silenceRun = 0;
    } else {
      this.#silenceRun++;
    }

    if (this.#silenceRun >= o.minSilenceFrames) {
      events.push(this.#close(Math.min(i + 1, this.#lastSpeech + 1 + o.postRollFrames), this.#lastSpeech + 1, false));
    } else if (i + 1 - this.#start >= o.maxUtteranceFrames) {
      // Cut at the quietest recent frame; the rest starts the next utterance at once.
      const from = Math.max(0, this.#probs.length - o.cutSearchFrames);
      let best = this.#probs.length - 1;
      for (let k = from; k < this.#probs.length; k++) if (this.#probs[k] < this.#probs[best]) best = k;
      const cut = this.#start + best + 1;
      const carried = this.#probs.slice(best + 1);
      events.push(this.#close(cut, cut, true));
      this.#start = cut;
      this.#probs = carried;
      this.#speechFrames = carried.filter((p) => p >= o.threshold).length;
      this.#silenceRun = 0;
      this.#lastSpeech = i;
      events.push({ type: 'start', start: cut });
    }
    return events;
  }

  /** End the current utterance now (pause, stop). */
  flush(): VadEvent[] {
    if (this.#start === null) return [];
    return [this.#close(Math.min(this.#frame, this.#lastSpeech + 1 + this.options.postRollFrames), Math.min(this.#frame, this.#lastSpeech + 1), false)];
  }

  #close(end: number, speechEnd: number, forced: boolean): VadEvent {
    const start = this.#start!;
    this.#start = null;
    this.#previousEnd = end;
    if (!forced && this.#speechFrames < this.options.minSpeechFrames) return { type: 'discard', start };
    return { type: 'end', start, end, speechEnd, forced };
  }
}
