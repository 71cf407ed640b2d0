import type { SpeakerTurn } from '../diarization/types';
/** The Chinese script text is shown in (`original`: as Whisper wrote it); see script.ts. */
export type Script = 'original' | 'zh-Hans' | 'zh-Hant-TW' | 'zh-Hant-HK';
/** A word with its time (seconds from the start of the audio) and how sure the model was of it (0–1). */
export interface Word {
  word: string;
  start: number;
  end: number;
  probability: number;
  /** A person wrote this word (its time is interpolated from the words around it). */
  edited?: boolean;
  /**
   * Its time is estimated (spread over the segment's speech by length), not measured: the model
   * gives no alignment (domain/transcript/approximate-words.ts).
   */
  approximate?: boolean;
}

/**
 * One timed piece of transcript. Times are seconds from the start of the audio. The decoding
 * figures (named as OpenAI's `transcribe()` names them, and exported under these keys) come
 * from the file path; live segments and older history entries may lack them.
 */
export interface Segment {
  start: number;
  end: number;
  text: string;
  /** Mean log-probability per token of the window's text (below −1: unsure). */
  avg_logprob?: number;
  /** Probability the window held no speech (read at `<|startoftranscript|>`). */
  no_speech_prob?: number;
  /** The sampling temperature the text came from (0 unless the safeguards fell back). */
  temperature?: number;
  /** zlib compression ratio of the window's text (above 2.4: it repeats itself). */
  compression_ratio?: number;
  words?: Word[];
  /** Who speaks (`S1`, `S2`, …), once speakers were found; the name is in `Transcript.speakers`. */
  speaker?: string;
}

export interface LanguageGuess {
  /** Whisper language code, e.g. `en`, `zh`. */
  code: string;
  probability: number;
}

export type Task = 'transcribe' | 'translate';

export interface Transcript {
  segments: Segment[];
  language: string | null;
  model: string;
  task: Task;
  /** Seconds of audio. */
  duration: number;
  /** Where a cancelled/interrupted job stopped (seconds); equals `duration` when complete. */
  completedUntil: number;
  sourceName: string;
  /** Names people gave the speakers, by id (`S1` → `Dr. Lee`); unnamed ones are "Speaker n". */
  speakers?: Record<string, string>;
  /**
   * The speaker search's own turns (seconds; speaker `n` is id `S{n+1}`), overlap and speech
   * without words included: the RTTM export is these, the segments keep their per-word speakers.
   */
  speakerTurns?: SpeakerTurn[];
  /** The Chinese script the text was converted to for reading (absent or `original`: as the model wrote it). */
  script?: Script;
}
