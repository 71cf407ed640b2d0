import type { LanguageGuess, Segment, Transcript } from '../domain/transcript/types';
import type { HistoryEntry } from '../services/history';
import type { History } from './history.svelte';
import type { Accuracy, AsrErrorName, LiveOptions, LiveResult, LiveStats, LiveUpdate, LoadedModel, LoadProgress, LoadRequest, Task, TranscribeResult } from '../../workers/asr/protocol';
import { AsrClient } from '../services/asr-client';
import { AudioDecodeError, decodeFile } from '../services/audio-decode';

export type Status = 'idle' | 'loading' | 'transcribing' | 'recording' | 'done' | 'error';
export type Phase = 'download' | 'compile' | 'warmup' | 'decoding-audio' | 'transcribing' | null;

/** What the UI shows of an error: a message key with parameters, or a plain message. */
export interface UiError {
  key?: 'errBadAudio' | 'errEmpty' | 'errTooLong' | 'errWorkerCrashed' | 'errMicDenied' | 'errMicNoDevice' | 'errMicBusy' | 'errMicUnsupported' | 'errMicLost' | 'errMicSuspended' | AsrErrorKey;
  params?: Record<string, string | number>;
  message?: string;
}

/**
 * A worker error in the UI language: the worker names the kind (`Error.name`), the UI words it.
 * Kinds without their own words show the worker's message.
 */
export function uiErrorFor(err: Error, modelId: string): UiError {
  const model = { model: modelId };
  switch (err.name as AsrErrorName) {
    case 'ModelNotFound':
      return { key: 'errModelNotFound', params: model };
    case 'NotAModelSource':
      return { key: 'errNotAModelSource', params: { ...model, url: /https?:\/\/\S+?config\.json/.exec(err.message)?.[0] ?? '' } };
    case 'NoOnnxWeights':
      return { key: 'errNoOnnx', params: { ...model, file: /onnx\/[^\s")]+/.exec(err.message)?.[0] ?? '' } };
    case 'NotWhisper':
      return { key: 'errNotWhisper', params: model };
    case 'NetworkError':
      return { key: 'errNetwork', params: model };
    case 'OutOfMemory':
      return { key: 'errOutOfMemory', params: model };
    case 'WebGpuUnavailable':
      return { key: /shader-f16/.test(err.message) ? 'errNoShaderF16' : 'errNoWebGpu' };
    case 'OfflineMode':
      return { key: 'errOfflineModeLoad', params: { host: /connecting to (\S+)\.\s/.exec(err.message)?.[1] ?? '' } };
    default:
      return { message: err.message };
  }
}

type AsrErrorKey = 'errModelNotFound' | 'errNotAModelSource' | 'errNoOnnx' | 'errNotWhisper' | 'errNetwork' | 'errOutOfMemory' | 'errNoShaderF16' | 'errNoWebGpu' | 'errOfflineModeLoad';

function sameRequest(a: LoadRequest, b: LoadRequest) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The transcription workflow: model loading, decoding a file, the job, its progress, its
 * result. Audio never sits in reactive state; only results do, replaced whole.
 */
export class Transcriber {
  status = $state<Status>('idle');
  phase = $state<Phase>(null);
  loadProgress = $state.raw<LoadProgress | null>(null);
  loaded = $state.raw<LoadedModel | null>(null);
  segments = $state.raw<Segment[]>([]);
  partial = $state('');
  processedSeconds = $state(0);
  duration = $state(0);
  startedAt = $state(0);
  now = $state(0);
  languageGuesses = $state.raw<LanguageGuess[] | null>(null);
  language = $state<string | null>(null);
  cancelled = $state(false);
  error = $state.raw<UiError | null>(null);
  fileName = $state('');
  /** Where the transcript on screen came from. */
  source = $state<'file' | 'live'>('file');
  task = $state<Task>('transcribe');
  modelId = $state('');
  /** Figures of the last job (for the benchmark and the curious). */
  stats = $state.raw<TranscribeResult['stats'] | null>(null);
  /** The utterance being spoken in a live session. */
  live = $state.raw<LiveUpdate['live']>(null);
  liveStats = $state.raw<LiveStats | null>(null);

  #client: AsrClient;
  #loadedRequest: LoadRequest | null = null;
  #jobId = 0;
  #ticker: ReturnType<typeof setInterval> | null = null;

  /** Where jobs are journaled (the history), if storage is available. */
  journal: History | null = null;
  /** The history entry of what is on screen. */
  entryId = $state<string | null>(null);

  /** Called when the worker dies (a live session must let go of the microphone). */
  onCrash: (() => void) | null = null;

  constructor() {
    this.#client = new AsrClient(() => {
      // The worker died (and was restarted empty): say so, keep the text we have.
      this.loaded = null;
      this.#loadedRequest = null;
      this.live = null;
      this.#fail({ key: 'errWorkerCrashed' });
      this.onCrash?.();
    });
  }

  get busy() {
    return this.status === 'loading' || this.status === 'transcribing' || this.status === 'recording';
  }

  /** 0..1 of the model download, over all files seen so far. */
  get downloadFraction(): number {
    const files = Object.values(this.loadProgress?.files ?? {});
    const total = files.reduce((s, f) => s + f.total, 0);
    return total > 0 ? files.reduce((s, f) => s + Math.min(f.loaded, f.total), 0) / total : 0;
  }

  get elapsedSeconds() {
    return this.startedAt ? (this.now - this.startedAt) / 1000 : 0;
  }

  get etaSeconds(): number | null {
    if (this.processedSeconds <= 0 || this.duration <= 0 || this.status !== 'transcribing') return null;
    return (this.elapsedSeconds * (this.duration - this.processedSeconds)) / this.processedSeconds;
  }

  get transcript(): Transcript {
    return {
      segments: this.segments,
      language: this.language,
      model: this.modelId,
      task: this.task,
      duration: this.duration,
      completedUntil: this.cancelled ? this.processedSeconds : this.duration,
      sourceName: this.fileName,
    };
  }

  #fail(error: UiError) {
    this.error = error;
    this.status = 'error';
    this.phase = null;
    this.#stopTicker();
  }

  #startTicker() {
    this.startedAt = this.now = performance.now();
    this.#ticker = setInterval(() => (this.now = performance.now()), 250);
  }

  #stopTicker() {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.now = performance.now();
  }

  dismissError() {
    this.error = null;
    if (this.status === 'error') this.status = this.segments.length ? 'done' : 'idle';
  }

  async load(request: LoadRequest): Promise<boolean> {
    if (this.#loadedRequest && sameRequest(this.#loadedRequest, request) && this.loaded) return true;
    this.error = null;
    this.status = 'loading';
    this.phase = 'download';
    this.loadProgress = null;
    this.loaded = null;
    try {
      this.loaded = await this.#client.load(request, (p) => {
        this.loadProgress = p;
        this.phase = p.phase;
      });
      this.#loadedRequest = request;
      this.status = this.segments.length ? 'done' : 'idle';
      this.phase = null;
      return true;
    } catch (err) {
      this.#loadedRequest = null;
      if ((err as Error).name !== 'WorkerCrashed') this.#fail(uiErrorFor(err as Error, request.modelId));
      return false;
    }
  }

  /**
   * Transcribe a file. `resume` continues a history entry: its settled text is kept and only
   * the audio after `from` seconds is transcribed.
   */
  async transcribeFile(file: File, request: LoadRequest, options: { language: string; task: Task; prompt: string; accuracy?: Accuracy; context?: boolean; fallback?: boolean; preferredLanguages?: string[] }, resume?: { id: string; segments: Segment[]; from: number }) {
    if (this.busy) return;
    if (!(await this.load(request))) return;
    this.error = null;
    this.status = 'transcribing';
    this.phase = 'decoding-audio';
    let audio: Float32Array;
    try {
      const decoded = await decodeFile(file);
      audio = await this.#client.prepareAudio(decoded);
    } catch (err) {
      if (err instanceof AudioDecodeError) {
        const key = err.kind === 'empty' ? 'errEmpty' : err.kind === 'too-long' ? 'errTooLong' : 'errBadAudio';
        this.#fail({ key, params: { name: file.name, minutes: err.minutes } });
      } else if ((err as Error).name !== 'WorkerCrashed') {
        this.#fail({ key: 'errBadAudio', params: { name: file.name } });
      }
      return;
    }

    // The new file decoded: only now replace the previous transcript.
    const jobId = ++this.#jobId;
    const duration = audio.length / 16_000;
    const offset = resume ? Math.min(resume.from, duration) : 0;
    const kept = resume?.segments ?? [];
    if (offset > 0) audio = audio.slice(Math.round(offset * 16_000));
    const move = <T extends { start: number; end: number }>(x: T): T => ({ ...x, start: x.start + offset, end: x.end + offset });
    const shift = (segments: Segment[]) => (offset ? segments.map((s) => ({ ...move(s), ...(s.words ? { words: s.words.map(move) } : {}) })) : segments);
    this.fileName = file.name;
    this.source = 'file';
    this.modelId = request.modelId;
    this.task = options.task;
    this.segments = kept;
    this.partial = '';
    this.processedSeconds = offset;
    this.duration = duration;
    this.language = options.language === 'auto' ? null : options.language;
    this.languageGuesses = null;
    this.cancelled = false;
    this.phase = 'transcribing';
    this.#startTicker();
    const entryId = await this.journal?.start({
      name: file.name,
      source: 'file',
      model: request.modelId,
      task: options.task,
      duration,
      options: { language: options.language, prompt: options.prompt },
      audio: file,
      resumeId: resume?.id,
    }) ?? null;
    this.entryId = entryId;
    try {
      // Updates come through their own port: one may land after the result. It must not undo it.
      let finished = false;
      const result = await this.#client.transcribe({ jobId, audio, language: options.language, task: options.task, prompt: options.prompt, accuracy: options.accuracy, context: options.context, fallback: options.fallback, preferredLanguages: options.preferredLanguages,
        // A resumed job continues with the saved text as context, like the run it replaces.
        previousText: options.context === false ? undefined : kept.map((s) => s.text).join('').slice(-2000) }, (u) => {
        if (jobId !== this.#jobId || finished) return;
        this.segments = [...kept, ...shift(u.segments)];
        this.partial = u.partial;
        this.processedSeconds = offset + u.processedSeconds;
        this.language = u.language;
        if (u.languageGuesses) this.languageGuesses = u.languageGuesses;
        this.journal?.progress(entryId, { segments: this.segments, completedUntil: offset + u.settledSeconds, language: u.language });
      });
      finished = true;
      this.segments = [...kept, ...shift(result.segments)];
      this.partial = '';
      this.language = result.language;
      if (result.languageGuesses) this.languageGuesses = result.languageGuesses;
      this.cancelled = result.cancelled;
      this.stats = result.stats;
      this.processedSeconds = result.cancelled ? offset + result.processedSeconds : this.duration;
      this.status = 'done';
      this.phase = null;
      this.#stopTicker();
      await this.journal?.finish(
        entryId,
        { segments: this.segments, completedUntil: this.processedSeconds, language: this.language },
        result.cancelled ? 'cancelled' : 'complete',
        { keepAudio: false },
      );
    } catch (err) {
      if ((err as Error).name !== 'WorkerCrashed') this.#fail({ message: (err as Error).message });
      // The entry stays "running" until the next start marks it interrupted: resumable.
    }
  }

  /** Show a transcript from the history (nothing runs). */
  show(entry: HistoryEntry) {
    if (this.busy) return;
    ++this.#jobId;
    this.entryId = entry.id;
    this.fileName = entry.name;
    this.source = entry.source;
    this.modelId = entry.model;
    this.task = entry.task;
    this.segments = entry.segments;
    this.partial = '';
    this.live = null;
    this.language = entry.language;
    this.languageGuesses = null;
    this.duration = entry.duration;
    this.processedSeconds = entry.state === 'complete' ? entry.duration : entry.completedUntil;
    this.cancelled = entry.state !== 'complete';
    this.error = null;
    this.status = 'done';
    this.phase = null;
  }

  /**
   * Begin a live session on frames arriving at `port`. The model must be loaded (see `load`);
   * the previous transcript is replaced only once the worker has accepted the session.
   */
  async startLive(request: LoadRequest, port: MessagePort, options: LiveOptions, name: string): Promise<boolean> {
    if (this.busy) return false;
    if (!(await this.load(request))) return false;
    // Updates may overtake liveStart's reply (they travel on their own channel): hold them
    // until the session is set up here.
    let early: LiveUpdate[] | null = [];
    const apply = (u: LiveUpdate) => {
      if (u.finals.length) this.segments = [...this.segments, ...u.finals];
      this.live = u.live;
      this.duration = this.processedSeconds = u.seconds;
      if (u.language) this.language = u.language;
      this.journal?.progress(this.entryId, { segments: this.segments, completedUntil: u.seconds, language: this.language, duration: u.seconds });
    };
    try {
      await this.#client.liveStart(port, options, (u) => (early ? early.push(u) : this.status === 'recording' && apply(u)));
    } catch (err) {
      if ((err as Error).name !== 'WorkerCrashed') this.#fail({ message: (err as Error).message });
      return false;
    }
    ++this.#jobId;
    this.error = null;
    this.fileName = name;
    this.source = 'live';
    this.modelId = request.modelId;
    this.task = options.task;
    this.segments = [];
    this.live = null;
    this.duration = this.processedSeconds = 0;
    this.language = options.language === 'auto' ? null : options.language;
    this.languageGuesses = null;
    this.cancelled = false;
    this.status = 'recording';
    this.phase = null;
    this.#startTicker();
    this.entryId = await this.journal?.start({ name, source: 'live', model: request.modelId, task: options.task, duration: 0, options: { language: options.language, prompt: options.prompt } }) ?? null;
    for (const u of early) apply(u);
    early = null;
    return true;
  }

  pauseLive() {
    return this.#client.livePause();
  }

  resumeLive() {
    return this.#client.liveResume();
  }

  /** End the live session: the last utterance is finalised; returns the recording. */
  async stopLive(): Promise<LiveResult | null> {
    if (this.status !== 'recording') return null;
    try {
      const result = await this.#client.liveStop();
      this.segments = result.segments;
      if (result.language) this.language = result.language;
      this.duration = this.processedSeconds = result.seconds;
      this.liveStats = result.stats;
      this.live = null;
      this.status = 'done';
      this.#stopTicker();
      await this.journal?.finish(
        this.entryId,
        { segments: this.segments, completedUntil: result.seconds, language: this.language, duration: result.seconds },
        'complete',
        { keepAudio: true, audio: result.recording },
      );
      return result;
    } catch (err) {
      this.live = null;
      if ((err as Error).name !== 'WorkerCrashed') this.#fail({ message: (err as Error).message });
      return null;
    }
  }

  /** Show an error without touching the transcript (e.g. the microphone could not start). */
  report(error: UiError) {
    this.error = error;
  }

  cancel() {
    if (this.status === 'transcribing') void this.#client.cancel(this.#jobId).catch(() => {});
  }

  capabilities() {
    return this.#client.capabilities();
  }
}
