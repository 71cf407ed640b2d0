/**
 * What long-form decoding (long-form.ts) and live utterances (utterance.ts) ask of a loaded
 * Whisper, as interfaces: WhisperEngine (engine.ts) implements them, so neither imports it.
 */
import type { Tensor } from '@huggingface/transformers';
import type { Word } from '../../../src/domain/transcript/alignment';
import type { SpecialTokens } from '../../../src/domain/transcript/decoding';
import type { DecodingMode } from '../../../src/domain/models/decoding-mode';
import type { LanguageGuess } from '../../../src/domain/transcript/types';
import type { TokenInfo } from '../../../src/domain/transcript/window';
import type { Accuracy, Task } from '../protocol';
import type { WindowDecodeResult } from './decoder';
import type { LoadedWhisper } from './model';

export interface FileOptions {
  language: string;
  task: Task;
  promptIds?: readonly number[];
  isCancelled: () => boolean;
  /** Silero speech probability per 512-sample frame of the audio; without it pauses are found from the level. */
  speech?: Float32Array;
  /** `fast`: greedy; `best`: 5 beams at temperature 0 and best of 5 samples above. */
  accuracy?: Accuracy;
  /** Give each window the text before it as prompt (OpenAI's `condition_on_previous_text`). */
  context?: boolean;
  /** Temperature fallback (default on). */
  fallback?: boolean;
  /** The user's languages (UI and browser): they win when Whisper is unsure (see `preferLanguages`). */
  preferredLanguages?: readonly string[];
  /** Text tokens of what came before this audio (a resumed job), the first window's context. */
  previousIds?: readonly number[];
  /** Decoding mode (`DecodingMode`); by default Auto's choice for the model and accuracy (`autoDecodingMode`). */
  mode?: DecodingMode;
  /** Every decode tried, with the figures OpenAI's fallback rule read (benchmarks set it, beside faster-whisper's). */
  onDecode?: (d: DecodeFigures) => void;
}

/** One decode of a window and what the fallback rule saw of it. */
export interface DecodeFigures {
  window: number;
  temperature: number;
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
  looped: boolean;
  textOnly: boolean;
  promptTokens: number;
  tokens: number;
  /** The rule asked for a hotter decode after this one. */
  fellBack: boolean;
}

export interface FallbackRequest {
  encoderOutputs: Tensor;
  prefix: number[];
  /** Where the SOT sequence starts in `prefix` (after the prompt). */
  sotIndex: number;
  textOnly: boolean;
  accuracy: Accuracy;
  /** Seeds the sampling at temperatures above 0 (the window's number: runs repeat exactly). */
  seed: number;
  fallback: boolean;
  isCancelled: () => boolean;
  onStep: (tokens: readonly number[]) => void;
  onDecode?: (d: Omit<DecodeFigures, 'window'>) => void;
}

/** Time and runs inside the model's ONNX sessions so far (differences give a job's figures). */
export interface SessionSnapshot {
  encoder: { seconds: number; runs: number };
  decoder: { seconds: number; runs: number };
  step: { seconds: number; runs: number };
  all: number;
}

/** One window's steps on a loaded model: what the long-form loop asks of the engine. */
export interface WindowSteps {
  readonly multilingual: boolean;
  /** Word timings come from cross-attention (else they are spread: `spreadWords`). */
  readonly alignable: boolean;
  readonly tokens: TokenInfo & { noTimestamps: number };
  features(window: Float32Array): Promise<Tensor>;
  encode(features: Tensor): Promise<Tensor>;
  languageFrom(features: Tensor, encoderOutputs: Tensor): Promise<LanguageGuess[]>;
  /** The SOT sequence for a language and task. */
  prefix(language: string, task: Task): number[];
  /** `<|startofprev|>` + the user's prompt + the most recent earlier text that fits (or nothing). */
  filePrompt(user: readonly number[], previous: readonly number[]): number[];
  decodeWithFallback(r: FallbackRequest): Promise<{ result: WindowDecodeResult; compressionRatio: number; fallbacks: number }>;
  /** Words per piece of settled text (null: no cross-attention to read times from). */
  align(encoderOutputs: Tensor, sotSequence: number[], pieces: readonly { tokens: number[] }[], windowSamples: number, language: string): Promise<Word[][] | null>;
  spreadWords(ids: readonly number[], language: string, span: { start: number; end: number }, audio: Float32Array | null, probability: number): Word[];
  decode(ids: readonly number[]): string;
  sessionSnapshot(): SessionSnapshot;
}

export interface UtteranceOptions {
  language: string;
  task: Task;
  promptIds: readonly number[];
  forcedIds: readonly number[];
  draft?: readonly number[];
  isCancelled: () => boolean;
  /** The utterance's final text (not a tentative pass): decoded again on the whole window rather than cut when it says a phrase twice. */
  final?: boolean;
  /** No end token before this many new tokens (the warm-up only: it runs the decoder steps a real utterance runs, on audio with nothing to say). */
  minNewTokens?: number;
}

export interface UtteranceDecode {
  ids: number[];
  language: string;
  guesses: LanguageGuess[] | null;
  cancelled: boolean;
  encoderOutputs: Tensor;
  draftAccepted: number;
  steps: number;
}

/** What an utterance decode asks of the engine. */
export interface UtteranceSteps {
  readonly loaded: LoadedWhisper;
  readonly multilingual: boolean;
  readonly tokens: TokenInfo & { noTimestamps: number };
  readonly special: SpecialTokens;
  features(window: Float32Array): Promise<Tensor>;
  encode(features: Tensor): Promise<Tensor>;
  languageFrom(features: Tensor, encoderOutputs: Tensor): Promise<LanguageGuess[]>;
  prefix(language: string, task: Task): number[];
  /** `<|startofprev|>` and the most recent prompt tokens that fit, or nothing. */
  promptPrefix(promptIds: readonly number[]): number[];
}
