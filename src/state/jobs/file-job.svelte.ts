/**
 * A file job: decode the file, transcribe it with the model session, feed the document and the
 * history as text arrives. It holds progress, not text (the text is the document's).
 */
import type { LanguageGuess, Segment } from '../../domain/transcript/types';
import type { Accuracy, AudioHandle, LoadRequest, Task, TranscribeResult } from '../../../workers/asr/protocol';
import { AudioDecodeError, decodeFile } from '../../services/audio-decode';
import type { History } from '../history.svelte';
import type { ModelSession } from '../model.svelte';
import type { TranscriptDocument } from '../document.svelte';
import type { UiError } from '../errors';

export type FileJobStatus = 'idle' | 'decoding' | 'transcribing' | 'done' | 'failed';

export interface FileJobOptions {
  language: string;
  task: Task;
  prompt: string;
  accuracy?: Accuracy;
  context?: boolean;
  fallback?: boolean;
  preferredLanguages?: string[];
  /** Kept with the history entry, so the same file with the same settings is recognised later. */
  contentHash?: string;
  settingsKey?: string;
}

/** How a job ended. `fatal`: nothing could run (the model did not load) — a queue stops. */
export interface JobOutcome {
  status: 'done' | 'cancelled' | 'failed' | 'skipped';
  error?: UiError;
  fatal?: boolean;
  /** The worker crashed or hung (the workspace already says so); the entry was kept as interrupted. */
  crashed?: boolean;
  /** The entry was kept as interrupted: Resume continues it from its settled text. */
  resumable?: boolean;
  entryId?: string | null;
  duration?: number;
}

/** Continue a history entry: its settled text is kept, only the audio after `from` is transcribed. */
export interface Resume {
  id: string;
  segments: Segment[];
  from: number;
}

export class FileJob {
  #status = $state<FileJobStatus>('idle');
  #partial = $state('');
  #processed = $state(0);
  /** Where this run began in the file (a resumed job starts past 0: that part is not this run's work). */
  #from = 0;
  /** When this run's first window came back: the rate is measured from there (the first window also pays for the language guess and warm-up). */
  #firstWindow = $state.raw<{ at: number; processed: number } | null>(null);
  #duration = $state(0);
  #startedAt = $state(0);
  #now = $state(0);
  #guesses = $state.raw<LanguageGuess[] | null>(null);
  #cancelled = $state(false);
  #stats = $state.raw<TranscribeResult['stats'] | null>(null);
  #jobId = 0;
  #ticker: ReturnType<typeof setInterval> | null = null;

  readonly #model: ModelSession;
  readonly #document: TranscriptDocument;
  readonly #history: History;
  readonly #started: (file: File, audio: string) => void;

  /** `started`: a new transcript begins, of this file, whose decoded audio the worker keeps as `audio`. */
  constructor(model: ModelSession, document: TranscriptDocument, history: History, hooks: { started: (file: File, audio: string) => void }) {
    this.#model = model;
    this.#document = document;
    this.#history = history;
    this.#started = hooks.started;
    model.onCrash(() => {
      if (this.running) this.#end('failed');
    });
  }

  get status() {
    return this.#status;
  }
  get running() {
    return this.#status === 'decoding' || this.#status === 'transcribing';
  }
  get partial() {
    return this.#partial;
  }
  get processedSeconds() {
    return this.#processed;
  }
  get duration() {
    return this.#duration;
  }
  get languageGuesses() {
    return this.#guesses;
  }
  get cancelled() {
    return this.#cancelled;
  }
  get stats() {
    return this.#stats;
  }
  get elapsedSeconds() {
    return this.#startedAt ? (this.#now - this.#startedAt) / 1000 : 0;
  }
  /** Transcribing, and no window has come back yet (the first takes longest: say so, no guess). */
  get readingFirstWindow(): boolean {
    return this.#status === 'transcribing' && this.#firstWindow === null;
  }
  /** Time left, from this run's own pace after its first window; null until there are two windows to measure. */
  get etaSeconds(): number | null {
    const first = this.#firstWindow;
    if (!first || this.#duration <= 0 || this.#status !== 'transcribing') return null;
    const done = this.#processed - first.processed;
    const seconds = (this.#now - first.at) / 1000;
    if (done <= 0 || seconds <= 0) return null;
    return (seconds * (this.#duration - this.#processed)) / done;
  }

  /** Forget the last job's figures (another transcript is shown). */
  clear() {
    ++this.#jobId;
    this.#status = 'idle';
    this.#partial = '';
    this.#guesses = null;
  }

  #end(status: FileJobStatus) {
    this.#status = status;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.#now = performance.now();
  }

  /** `onentry` hears the history entry's id as soon as it exists (a queue keeps it to resume). */
  async run(file: File, request: LoadRequest, options: FileJobOptions, resume?: Resume, onentry?: (id: string | null) => void): Promise<JobOutcome> {
    if (this.running) return { status: 'skipped' };
    const loaded = await this.#model.load(request);
    if (!loaded.ok) return { status: 'failed', error: loaded.error ?? undefined, fatal: true };
    this.#status = 'decoding';
    let audio: AudioHandle;
    try {
      audio = await this.#model.client.prepareAudio(await decodeFile(file));
    } catch (err) {
      this.#end('failed');
      if (err instanceof AudioDecodeError) {
        const key = err.kind === 'empty' ? 'errEmpty' : err.kind === 'too-long' ? 'errTooLong' : err.kind === 'unreadable' ? 'errUnreadable' : 'errBadAudio';
        return { status: 'failed', error: { key, params: { name: file.name, minutes: err.minutes, size: `${(file.size / 1e9).toFixed(1)} GB` } } };
      }
      if ((err as Error).name === 'WorkerCrashed') return { status: 'failed', error: { key: 'errWorkerCrashed' }, crashed: true };
      return { status: 'failed', error: { key: 'errBadAudio', params: { name: file.name } } };
    }

    // The new file decoded: only now replace the previous transcript.
    const jobId = ++this.#jobId;
    const duration = audio.seconds;
    const offset = resume ? Math.min(resume.from, duration) : 0;
    const kept = resume?.segments ?? [];
    const move = <T extends { start: number; end: number }>(x: T): T => ({ ...x, start: x.start + offset, end: x.end + offset });
    const shift = (segments: Segment[]) => (offset ? segments.map((s) => ({ ...move(s), ...(s.words ? { words: s.words.map(move) } : {}) })) : segments);
    const language = options.language === 'auto' ? null : options.language;
    this.#started(file, audio.id);
    this.#partial = '';
    this.#processed = this.#from = offset;
    this.#firstWindow = null;
    this.#duration = duration;
    this.#guesses = null;
    this.#cancelled = false;
    this.#stats = null;
    this.#status = 'transcribing';
    this.#startedAt = this.#now = performance.now();
    this.#ticker = setInterval(() => (this.#now = performance.now()), 250);
    const doc = this.#document;
    doc.reset({ sourceName: file.name, source: 'file', model: request.modelId, task: options.task, language, duration, completedUntil: offset }, kept);
    const entryId = await this.#history.start({
      name: file.name,
      source: 'file',
      model: request.modelId,
      task: options.task,
      duration,
      options: { language: options.language, prompt: options.prompt },
      audio: file,
      resumeId: resume?.id,
      script: doc.meta.script,
      contentHash: options.contentHash,
      settingsKey: options.settingsKey,
    });
    doc.updateMeta({ entryId });
    onentry?.(entryId);
    const keptDoc = doc.segments;
    /** This run's segments as the updates built them up (each update carries what changed). */
    let fromJob: Segment[] = [];
    try {
      // Updates come through their own port: one may land after the result. It must not undo it.
      let finished = false;
      const result = await this.#model.client.transcribe(
        {
          jobId,
          audio: audio.id,
          fromSeconds: offset || undefined,
          language: options.language,
          task: options.task,
          prompt: options.prompt,
          accuracy: options.accuracy,
          context: options.context,
          fallback: options.fallback,
          preferredLanguages: options.preferredLanguages,
          // A resumed job continues with the saved text as context, like the run it replaces.
          previousText: options.context === false ? undefined : kept.map((s) => s.text).join('').slice(-2000),
        },
        (u) => {
          if (jobId !== this.#jobId || finished) return;
          fromJob = [...fromJob.slice(0, u.segmentsFrom), ...shift(u.segments)];
          doc.setFromJob([...keptDoc, ...fromJob]);
          doc.updateMeta({ language: u.language, completedUntil: offset + u.settledSeconds });
          this.#partial = u.partial;
          this.#processed = offset + u.processedSeconds;
          if (!this.#firstWindow && this.#processed > this.#from) this.#firstWindow = { at: performance.now(), processed: this.#processed };
          if (u.languageGuesses) this.#guesses = u.languageGuesses;
          this.#history.progress(entryId, { segments: [...doc.segments], completedUntil: offset + u.settledSeconds, language: u.language });
        },
      );
      finished = true;
      if (jobId !== this.#jobId) return { status: 'cancelled', entryId, duration };
      doc.setFromJob([...keptDoc, ...shift(result.segments)]);
      this.#partial = '';
      if (result.languageGuesses) this.#guesses = result.languageGuesses;
      this.#cancelled = result.cancelled;
      this.#stats = result.stats;
      this.#processed = result.cancelled ? offset + result.processedSeconds : duration;
      doc.updateMeta({ language: result.language, completedUntil: this.#processed });
      this.#end('done');
      // The audio stays with the entry: the editor plays it, the dataset export cuts it.
      await this.#history.finish(entryId, { segments: [...doc.segments], completedUntil: this.#processed, language: result.language }, result.cancelled ? 'cancelled' : 'complete', { keepAudio: true });
      return { status: result.cancelled ? 'cancelled' : 'done', entryId, duration };
    } catch (err) {
      this.#end('failed');
      const name = (err as Error).name;
      if (name === 'WorkerCrashed' || name === 'OutOfMemory') {
        // The text settled so far is written as an interrupted entry at once (not at the next
        // start), so Resume — here, in the history, or the queue's own retry — continues it.
        if (jobId === this.#jobId) {
          await this.#history.finish(entryId, { segments: [...doc.segments], completedUntil: doc.meta.completedUntil, language: doc.meta.language }, 'interrupted', { keepAudio: true });
        }
        if (name === 'WorkerCrashed') return { status: 'failed', error: { key: 'errWorkerCrashed' }, crashed: true, entryId, duration, resumable: true };
        // Out of memory mid-job: a fresh worker (the heap stays at its high-water mark) and words
        // that say what to change.
        this.#model.recycle();
        return { status: 'failed', error: { key: 'errOutOfMemoryRun', params: { model: request.modelId } }, entryId, duration, resumable: true };
      }
      return { status: 'failed', error: { message: (err as Error).message }, entryId, duration };
    }
  }

  cancel() {
    if (this.#status === 'transcribing') void this.#model.client.cancel(this.#jobId).catch(() => {});
  }
}
