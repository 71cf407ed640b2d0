/**
 * The ASR worker's API: the only thing `src/` imports from `workers/asr` (types only).
 * Errors cross the boundary as `Error` with `name` set to one of `AsrErrorName`.
 */
import type { LanguageGuess, Segment } from '../../src/domain/transcript/types';

import type { Device, DeviceChoice, Dtype, DtypeChoice } from '../../src/domain/models/dtypes';
import type { Task } from '../../src/domain/transcript/types';
import type { DiarizationResult, SpeakerCount } from '../../src/domain/diarization/types';

export type { Device, DeviceChoice, Dtype, DtypeChoice, Task };

export type ModelSource =
  | { kind: 'huggingface' }
  | { kind: 'hf-mirror' }
  | { kind: 'custom'; baseUrl: string }
  /**
   * A model folder picked from the disk (e.g. a fine-tuned Whisper converted for transformers.js):
   * its files by path inside the folder (`config.json`, `onnx/encoder_model_quantized.onnx`, …).
   * Loaded without any network; not copied into the model cache.
   */
  | { kind: 'folder'; name: string; files: Record<string, File> };

export interface LoadRequest {
  modelId: string;
  source: ModelSource;
  device: DeviceChoice;
  dtype: DtypeChoice;
  /** WASM threads; defaults to what the machine offers (benchmarks pin 1 or 2). */
  threads?: number;
  /** Offline mode: load only from this device's cache (or the app's own origin). */
  offline?: boolean;
  /** Run every decoder step on the merged decoder, as transformers.js does (`?decoder=merged`: the benchmark's comparison). */
  mergedDecoder?: boolean;
  /**
   * Keep the exported encoder, which only takes a whole 30 s window (`?encoder=window`: the
   * benchmark's comparison). By default (WASM) it is replaced by one that takes any length
   * (decoder-graph.ts), and live utterances are encoded without most of the window's padding.
   */
  windowEncoder?: boolean;
}

export interface LoadProgress {
  /** Per file: bytes so far and total (total 0 until the server says). */
  files: Record<string, { loaded: number; total: number; done: boolean }>;
  phase: 'download' | 'compile' | 'warmup';
}

export interface LoadedModel {
  modelId: string;
  device: Device;
  dtype: { encoder: Dtype; decoder: Dtype };
  /** WASM threads in use (1 when not cross-origin isolated). */
  threads: number;
  multilingual: boolean;
  seconds: number;
  /** Whether the whole model is kept on the device (false: quota exceeded, nothing kept). */
  stored: boolean;
  /**
   * Why Auto chose these dtypes: the device's defaults, the best the model ships when it lacks
   * them, or WASM because the model ships nothing WebGPU runs correctly (q8 only).
   */
  dtypeReason: 'default' | 'model-files' | 'webgpu-unsuitable';
  /**
   * Word timings: from the decoder's exported cross-attention outputs, from outputs the loader
   * added to a decoder exported without them, or none (fused attention, no alignment heads):
   * then segments have no words, and the page says so.
   */
  wordTimings: 'exported' | 'added' | 'none';
  /** Seconds the load's warm-up took (part of `seconds`): WebGPU's shaders, or WASM's kernels compiled by V8 and the VAD's. */
  warmUpSeconds: number;
}

export interface Capabilities {
  webgpu: boolean;
  shaderF16: boolean;
  crossOriginIsolated: boolean;
  threads: number;
}

/**
 * Audio the worker keeps, decoded and resampled once per file (`prepareAudio`): a file job, the
 * speaker search and the dataset export name it instead of sending the samples again.
 */
export interface AudioHandle {
  id: string;
  /** Its length at 16 kHz. */
  seconds: number;
}

export interface TranscribeRequest {
  jobId: number;
  /** The kept audio (`AudioHandle.id`). */
  audio: string;
  /** Start here (a resumed job: the text before is kept). */
  fromSeconds?: number;
  /** A Whisper language code, or `auto` to identify it from the first speech. */
  language: string;
  task: Task;
  /** Prompt / hot words for every window (OpenAI's `initial_prompt`, carried). */
  prompt?: string;
  /** `fast`: greedy decoding; `best`: 5 beams (batched). Both with OpenAI's temperature fallback. */
  accuracy?: Accuracy;
  /**
   * Give each window the text before it as prompt (OpenAI's `condition_on_previous_text`;
   * default on). Off for models trained without prompts.
   */
  context?: boolean;
  /**
   * OpenAI's temperature fallback (default on). Off only for benchmarks and mechanics tests on
   * random-weight models, which no temperature makes confident (each window would run 6 times).
   */
  fallback?: boolean;
  /** The user's languages, best first (Whisper codes): taken when Whisper's guess is unsure. */
  preferredLanguages?: string[];
  /**
   * Text already transcribed before this audio (a resumed job): the first window gets it as
   * context, as it would have had it in an uninterrupted run.
   */
  previousText?: string;
}

export type Accuracy = 'fast' | 'best';

export interface TranscribeUpdate {
  /**
   * Settled segments (times in seconds from the start of the audio) from `segmentsFrom` on: an
   * update carries only what changed since the last one (the segments before `segmentsFrom` are
   * as sent before), not the whole list each time. The final result carries them all (0).
   */
  segments: Segment[];
  segmentsFrom: number;
  /** Text of the window being decoded that has not settled yet. */
  partial: string;
  /** Seconds of audio done (for progress; may include text still settling). */
  processedSeconds: number;
  /** Everything before this is settled: a job resumed from here repeats and loses nothing. */
  settledSeconds: number;
  language: string | null;
  languageGuesses: LanguageGuess[] | null;
}

export interface TranscribeResult extends TranscribeUpdate {
  cancelled: boolean;
  /** Windows cut short because the model started repeating itself. */
  loopsCut: number;
  /** Figures for the benchmark: wall time in ONNX sessions and windows decoded. */
  stats: JobStats;
}

export interface JobStats {
  windows: number;
  skippedSilentWindows: number;
  tokens: number;
  /** Decodes repeated at a higher temperature (OpenAI's fallback). */
  fallbacks: number;
  /** Windows decoded again because speech in them got no words. */
  redecodes: number;
  /** Windows dropped by the no-speech gate. */
  noSpeechWindows: number;
  /** Wall time of the job inside the worker. */
  seconds: number;
  /** Time inside ONNX Runtime sessions (the floor), split by session. */
  sessionSeconds: number;
  encoderSeconds: number;
  encoderRuns: number;
  decoderSeconds: number;
  decoderRuns: number;
  /** Of the decoder's: the cached steps run on the step model (one token per row each; 0 without it). */
  stepSeconds: number;
  stepRuns: number;
}

export interface LiveOptions {
  /** A Whisper language code, or `auto` (identified per utterance until its first words settle). */
  language: string;
  task: Task;
  /** The user's prompt / hot words. */
  prompt: string;
  /**
   * Pass the session's previous final text after the prompt (OpenAI's
   * `condition_on_previous_text`): names and spellings carry over between utterances. Off for
   * models trained without prompts (the test models), which a prompt derails.
   */
  context: boolean;
  /**
   * Label each utterance with its speaker (CAM++ embedding, matched to the session's speakers so
   * far): where the speaker models are looked for, in order. Unset: no labels.
   */
  speakerModels?: string[];
}

export interface LiveUpdate {
  /** Segments that became final since the last update (times on the recording's clock). */
  finals: Segment[];
  /** The utterance being spoken: settled text and the tentative rest. */
  live: { start: number; stable: string; tentative: string } | null;
  /** Seconds recorded so far. */
  seconds: number;
  /** The language of most of the final text so far (null until some). */
  language: string | null;
}

export interface LiveStats {
  utterances: number;
  passes: number;
  /** Finals that needed their own decode, and finals taken from a pass that had heard it all. */
  finalPasses: number;
  finalsFromPasses: number;
  cancelledPasses: number;
  /** Per utterance: seconds from the capture of its last speech frame (the session's audio clock) to its final text. */
  latencies: number[];
  /** Wall time of each finished pass. */
  passSeconds: number[];
  /** Seconds inside VAD runs, and wall time of Whisper decodes (for the benchmark's live figures). */
  vadSeconds: number;
  decodeSeconds: number;
  /** Draft tokens (the previous pass's tentative text) offered to decodes, and those the model kept. */
  draftTokens: number;
  draftAccepted: number;
  /** Decoder passes run (a draft checked at once counts one). */
  decoderSteps: number;
  /**
   * Where each final's latency went, in seconds: `vad` from the capture of its last speech frame
   * to the VAD ending the utterance (the silence it waits for, and frames queued behind a decode); `wait` from then to its decode starting (a pass in
   * flight, an earlier final); `decode` to its text (for a final taken from a pass: from the end to
   * that pass's text); `score` to the text on screen (word timings, speaker). `began`: from the
   * capture of the last speech frame to the start of the decode that gave the text (a pass begun
   * in the trailing silence starts before the VAD ends the utterance).
   */
  finalParts: { vad: number; wait: number; decode: number; score: number; fromPass: boolean; began: number }[];
  /**
   * Where each finished pass's time went, in seconds: the encoder, the decoder runs (the merged
   * decoder's first run over prompt and draft, plus `step`, the runs on the step model), all ONNX
   * Runtime sessions (`ort`; the rest of `seconds` is JavaScript and queued frames), for `audio`
   * seconds of utterance. `likelyFinal`: begun in the silence after speech (see LiveSession).
   */
  passParts: { likelyFinal: boolean; seconds: number; audio: number; encoder: number; decoder: number; step: number; decoderRuns: number; ort: number }[];
  /**
   * What the decoder did when, in seconds from the session's start: each pass
   * (cancelled or not), each final's own decode and scoring, and each utterance's speech end (its
   * last speech frame's capture) and VAD end — to see what a slow final waited behind.
   */
  timeline: { what: 'pass' | 'likely-final pass' | 'cancelled pass' | 'final decode' | 'score' | 'speech end' | 'vad end'; start: number; end: number }[];
}

export interface LiveResult {
  /**
   * How many final segments the session sent in its updates. The transcript itself is the page's
   * (built from the updates' `finals`; the worker keeps no copy): it waits for this many.
   */
  finals: number;
  /** The language of most of the text (null: nothing was said). */
  language: string | null;
  /** The session's audio, 16 kHz 16-bit mono WAV. */
  recording: Blob;
  seconds: number;
  stats: LiveStats;
  /** Where the audio was kept while recording. */
  storedOn: 'opfs' | 'memory';
}

export interface DiarizeRequest {
  jobId: number;
  /** The kept audio (`AudioHandle.id`). */
  audio: string;
  /** Where the speaker models are looked for, in order (absolute URLs ending in `/`): the first that has them is used. */
  modelBases: string[];
  /** A known number of speakers, a range, or automatic (empty). */
  count: SpeakerCount;
}

export interface DiarizeProgress {
  windows: number;
  total: number;
  /** The speaker models are being fetched (first time only). */
  phase: 'models' | 'speakers';
}

export interface DiarizeResult extends DiarizationResult {
  cancelled: boolean;
  seconds: number;
}

export interface DecodedAudio {
  /** One array per channel, at `sampleRate`. Transferred. */
  channels: Float32Array[];
  sampleRate: number;
}

export type AsrErrorName =
  | 'ModelNotFound'
  /** A precision the chosen device runs wrongly (int8 kernels on WebGPU): said before the download. */
  | 'DtypeUnsupported'
  /**
   * The chosen precision's files use an operator ONNX Runtime has no kernel for on this device
   * (the hub's `_int8` Whisper encoders: an int8 ConvInteger, which ONNX Runtime runs only with
   * uint8 weights). Said when the session is created.
   */
  | 'DtypeNoKernel'
  /** The model source answered, but not with a model (a web page, e.g. a wrong or relative base URL). */
  | 'NotAModelSource'
  | 'NoOnnxWeights'
  | 'NotWhisper'
  | 'NetworkError'
  /** The network went away in the middle of a model download (files already whole are kept). */
  | 'DownloadInterrupted'
  /** A cached model file is damaged and offline mode forbids fetching it again. */
  | 'CorruptCache'
  /** A cached model file was damaged and the model's cached files are removed: load again (in a fresh worker). */
  | 'CacheRemoved'
  | 'WebGpuUnavailable'
  | 'OutOfMemory'
  | 'NoModelLoaded'
  | 'Busy'
  | 'BadAudio'
  | 'BadRequest'
  | 'OfflineMode'
  | 'WorkerCrashed'
  /** The speaker models are not where the app looks for them. */
  | 'SpeakerModelsMissing'
  /** The worker no longer keeps that audio (it was restarted, or kept newer files since): decode it again. */
  | 'AudioGone'
  | 'Unknown';

export interface AsrApi {
  capabilities(): Promise<Capabilities>;
  load(request: LoadRequest, onProgress: (p: LoadProgress) => void): Promise<LoadedModel>;
  /**
   * Downmix + resample to 16 kHz mono (here, to keep the main thread free) and keep it: the
   * handle names it for transcribe, diarize and `audioSamples`. The two latest are kept.
   */
  prepareAudio(input: DecodedAudio): Promise<AudioHandle>;
  /** A copy of kept audio (the dataset export cuts its clips from it). */
  audioSamples(handle: string): Promise<Float32Array>;
  detectLanguage(audio: Float32Array): Promise<LanguageGuess[]>;
  transcribe(request: TranscribeRequest, onUpdate: (u: TranscribeUpdate) => void): Promise<TranscribeResult>;
  /**
   * Start a live session on 16 kHz frames arriving on `port` (from the capture worklet). The
   * model stays busy until `liveStop`.
   */
  liveStart(port: MessagePort, options: LiveOptions, onUpdate: (u: LiveUpdate) => void): Promise<void>;
  livePause(): void;
  liveResume(): void;
  liveStop(): Promise<LiveResult>;
  /**
   * Who speaks when (pyannote segmentation + CAM++ embeddings + clustering). Needs no Whisper
   * model; runs while no other job does. Cancel with `cancel(jobId)` (resolves `cancelled`).
   */
  diarize(request: DiarizeRequest, onProgress: (p: DiarizeProgress) => void): Promise<DiarizeResult>;
  /** Cooperative: the job stops after the current decoder step and resolves with what it has. */
  cancel(jobId: number): void;
  /**
   * Answers at once whenever the worker's event loop is free (between decoder steps, between
   * downloads). The page's watchdog pings while a job runs: no answer for long means the worker
   * is stuck in a call that will not return (or was closed).
   */
  ping(): true;
  dispose(): Promise<void>;
}
