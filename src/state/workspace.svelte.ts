/**
 * What the page works on: one model session, one transcript document, the jobs that feed it
 * (a file job, a live session), the player, the history, and the one error the user is shown.
 * It composes them and derives the status line; each part keeps its own state.
 */
import type { HistoryEntry } from '../services/history';
import { decodeFile } from '../services/audio-decode';
import { baseName } from '../services/save-file';
import { buildDataset, datasetSegments } from '../domain/transcript/dataset';
import type { Phase } from './phase';
import { TranscriptDocument } from './document.svelte';
import type { UiError } from './errors';
import { History } from './history.svelte';
import { FileJob, type FileJobOptions, type Resume } from './jobs/file-job.svelte';
import type { LiveOptions, LoadRequest } from '../../workers/asr/protocol';
import { LiveSession } from './jobs/live.svelte';
import { ModelSession } from './model.svelte';
import { Playback } from './playback.svelte';
import { SpeakerJob } from './jobs/speakers.svelte';
import { BatchQueue } from './jobs/queue.svelte';
import { loadConverter } from '../services/chinese-script';
import type { Script } from '../domain/transcript/script';

export type Status = 'idle' | 'loading' | 'transcribing' | 'recording' | 'done' | 'error';

/** What a failure stopped: the model's load, a file's transcription, or the recording. */
export type Failure = { what: 'load' } | { what: 'file'; name: string } | { what: 'live' };

export class Workspace {
  readonly model: ModelSession;
  readonly document = new TranscriptDocument();
  readonly history = new History();
  readonly playback = new Playback();
  readonly file: FileJob;
  readonly live: LiveSession;
  readonly speakers: SpeakerJob;
  readonly queue: BatchQueue;

  #error = $state.raw<UiError | null>(null);
  /** The error ended what the user asked for (status "error"), rather than being a notice. */
  #failed = $state(false);
  /** What the last failure stopped (said on the status line; the error itself is beside it). */
  #failure = $state.raw<Failure | null>(null);
  /** The history entry a crashed or hung job left interrupted: the error offers to resume it. */
  #resumable = $state<string | null>(null);
  /** The audio the transcript is of, for the player and the dataset export. */
  #audio = $state.raw<Blob | null>(null);
  #epoch = $state(0);
  /** The worker's handle of `#audio`, decoded (null until a job decoded it, or after a worker restart). */
  #audioHandle: string | null = null;

  /**
   * `queueRequest`: the load request for a queue kept across a reload (whoever holds the settings
   * knows it); `queueFinished`: the batch queue ran out of files.
   */
  constructor(hooks: { queueRequest: (kept: LoadRequest | null) => LoadRequest; queueFinished?: (done: number, failed: number) => void; model?: ModelSession }) {
    this.model = hooks.model ?? new ModelSession();
    this.file = new FileJob(this.model, this.document, this.history, { started: (f, handle) => (this.#newTranscript(), this.#setAudio(f, handle)) });
    this.live = new LiveSession(this.model, this.document, this.history, { fail: (e, what) => this.fail(e, what ?? { what: 'live' }), report: (e) => this.report(e), kept: (f) => this.#setAudio(f) });
    this.speakers = new SpeakerJob(this.model, this.document);
    this.queue = new BatchQueue(this.file, this.history, {
      request: hooks.queueRequest,
      fatal: (e) => this.fail(e, { what: 'load' }),
      finished: (done, failed) => hooks.queueFinished?.(done, failed),
      busy: () => this.live.active || this.speakers.running || this.file.running,
    });
    this.document.onedit = (id, segments, speakers, script, turns) => void this.history.saveSegments(id, segments, speakers, script, turns);
    this.model.onCrash(() => (this.#audioHandle = null));
    this.model.onCrash((reason) => this.fail(reason.kind === 'hung' ? { key: 'errWorkerHung', params: { seconds: reason.seconds } } : { key: 'errWorkerCrashed' }));
  }

  get error() {
    return this.#error;
  }

  get audio() {
    return this.#audio;
  }

  get status(): Status {
    if (this.model.loading) return 'loading';
    if (this.file.running) return 'transcribing';
    if (this.live.recording) return 'recording';
    if (this.#failed) return 'error';
    return this.document.meta.sourceName ? 'done' : 'idle';
  }

  get phase(): Phase {
    if (this.model.loading) return this.model.progress?.phase ?? 'download';
    if (this.file.status === 'decoding') return 'decoding-audio';
    if (this.file.status === 'transcribing') return 'transcribing';
    return null;
  }

  get busy() {
    return this.model.loading || this.file.running || this.live.active || this.speakers.running || this.queue.running;
  }

  /** Read this transcript (and the next ones) in another Chinese script; kept with the transcript. */
  async setScript(script: Script) {
    try {
      this.document.setScript(script, await loadConverter(script));
    } catch {
      this.report({ key: 'errScriptLoad' });
    }
  }

  /** Text is being written into the document by a job (the editor waits). */
  get writing() {
    return this.file.running || this.live.recording;
  }

  /** A failure that ended what the user asked for; `what` says what it stopped (the status line names it). */
  fail(error: UiError, what: Failure | null = null) {
    this.#error = error;
    this.#failed = true;
    this.#failure = what;
  }

  get failure() {
    return this.#failure;
  }

  /** Show a message without touching the transcript (e.g. the microphone could not start). */
  report(error: UiError) {
    this.#error = error;
  }

  dismissError() {
    this.#error = null;
    this.#failed = false;
    this.#failure = null;
    this.#resumable = null;
  }

  get resumable() {
    return this.#resumable;
  }

  /** Counts the transcripts shown: what was said about the last one (a speaker search, a failed copy) goes with it. */
  get transcriptEpoch() {
    return this.#epoch;
  }

  #newTranscript() {
    this.#epoch++;
    this.speakers.reset();
  }

  #setAudio(blob: Blob | null, handle: string | null = null) {
    this.#audio = blob;
    this.#audioHandle = handle;
    this.playback.setSource(blob);
  }

  /**
   * Run a worker call on the transcript's audio by its handle: decoded once per file (by the
   * file job, or here the first time it is needed), and decoded again only if the worker lost it
   * (restarted after a crash, or it kept newer files since).
   */
  async #withAudio<T>(use: (handle: string) => Promise<T>): Promise<T> {
    const blob = this.#audio;
    if (!blob) throw new Error('no audio');
    const handle = async (fresh: boolean) => {
      if (fresh || !this.#audioHandle) {
        const h = (await this.model.client.prepareAudio(await decodeFile(blob))).id;
        if (this.#audio === blob) this.#audioHandle = h;
        return h;
      }
      return this.#audioHandle;
    };
    try {
      return await use(await handle(false));
    } catch (err) {
      if ((err as Error).name !== 'AudioGone') throw err;
      return use(await handle(true));
    }
  }

  /** Load a model (the settings' Load button). */
  async load(request: LoadRequest) {
    this.dismissError();
    const out = await this.model.load(request);
    if (!out.ok && out.error) this.fail(out.error, { what: 'load' });
  }

  async transcribeFile(file: File, request: LoadRequest, options: FileJobOptions, resume?: Resume) {
    if (this.busy) return;
    this.dismissError();
    const out = await this.file.run(file, request, options, resume);
    if (out.error && !out.crashed) this.fail(out.error, out.fatal ? { what: 'load' } : { what: 'file', name: file.name });
    if (out.resumable && out.entryId) this.#resumable = out.entryId;
  }

  record(request: LoadRequest, options: LiveOptions, deviceId: string) {
    if (this.busy) return Promise.resolve();
    this.dismissError();
    this.#newTranscript();
    return this.live.start(request, options, deviceId);
  }

  /**
   * The fine-tuning zip of the segments a person checked: the audio decoded again at 16 kHz
   * (the worker resamples it), cut at the segments' times. Null (and an error shown) when there
   * is nothing to export or no audio to cut.
   */
  async datasetZip(): Promise<{ blob: Blob; name: string; rows: number } | null> {
    const doc = this.document;
    if (!datasetSegments(doc.shown).length) {
      this.report({ key: 'errDatasetEmpty' });
      return null;
    }
    if (!this.#audio) {
      this.report({ key: 'errDatasetNoAudio' });
      return null;
    }
    try {
      const audio = await this.#withAudio((handle) => this.model.client.audioSamples(handle));
      const { zip, rows } = buildDataset(audio, doc.shown, doc.meta.language, doc.meta.sourceName);
      return { blob: new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), name: `${baseName(doc.meta.sourceName)}-dataset.zip`, rows: rows.length };
    } catch (err) {
      this.report({ message: (err as Error).message });
      return null;
    }
  }

  /** Who speaks when, in the audio the transcript is of; speakers go into the document. */
  findSpeakers(modelBases: readonly string[]) {
    if (this.busy || !this.document.segments.length) return Promise.resolve();
    this.dismissError();
    if (!this.#audio) {
      this.speakers.fail({ key: 'errSpeakersNoAudio' });
      return Promise.resolve();
    }
    return this.speakers.run((use) => this.#withAudio(use), modelBases);
  }

  /** Show a transcript from the history (nothing runs); its audio, if kept, in the player. */
  async show(entry: HistoryEntry) {
    if (this.busy) return;
    this.file.clear();
    this.#newTranscript();
    this.dismissError();
    this.document.reset(
      {
        entryId: entry.id,
        sourceName: entry.name,
        source: entry.source,
        model: entry.model,
        task: entry.task,
        language: entry.language,
        duration: entry.duration,
        completedUntil: entry.state === 'complete' ? entry.duration : entry.completedUntil,
        ...(entry.script ? { script: entry.script } : {}),
      },
      entry.segments,
      entry.speakers,
      entry.speakerTurns,
    );
    // The document now says the entry's script: this only loads its converter (nothing is saved).
    if (entry.script) void this.setScript(entry.script);
    this.#setAudio(null);
    const audio = entry.hasAudio ? await this.history.audio(entry.id) : undefined;
    if (audio && this.document.meta.entryId === entry.id) this.#setAudio(audio);
  }
}
