/** One timed piece of transcript. Times are seconds from the start of the audio. */
export interface Segment {
  start: number;
  end: number;
  text: string;
}

export interface LanguageGuess {
  /** Whisper language code, e.g. `en`, `zh`. */
  code: string;
  probability: number;
}

export interface Transcript {
  segments: Segment[];
  language: string | null;
  model: string;
  task: 'transcribe' | 'translate';
  /** Seconds of audio. */
  duration: number;
  /** Where a cancelled/interrupted job stopped (seconds); equals `duration` when complete. */
  completedUntil: number;
  sourceName: string;
}
