/**
 * A live session: the microphone (device list, level, clock, pause/resume/stop), the worker's
 * live transcription, the utterance being spoken, and the recording kept afterwards. Finished
 * utterances go into the document; the history keeps them as they come.
 */
import type { LiveOptions, LiveStats, LiveUpdate, LoadRequest } from '../../../workers/asr/protocol';
import { listMicrophones, Microphone, MicrophoneError, type Interruption, type MicrophoneInfo } from '../../services/microphone';
import { i18n } from '../../i18n/i18n.svelte';
import type { History } from '../history.svelte';
import type { ModelSession } from '../model.svelte';
import type { TranscriptDocument } from '../document.svelte';
import type { UiError } from '../errors';

export type LiveStatus = 'idle' | 'starting' | 'recording' | 'paused' | 'stopping';

export interface KeptRecording {
  file: File;
  seconds: number;
}

const MIC_ERRORS: Record<MicrophoneError['kind'], NonNullable<UiError['key']>> = {
  denied: 'errMicDenied',
  'no-device': 'errMicNoDevice',
  busy: 'errMicBusy',
  unsupported: 'errMicUnsupported',
};

export interface LiveReporter {
  /** A failure that ends what the user asked for (status: error); `load`: the model did not load. */
  fail(error: UiError, what?: { what: 'load' }): void;
  /** A message that leaves the session as it is (a device lost, a suspended context). */
  report(error: UiError): void;
  /** The session ended and its recording is kept. */
  kept(file: File): void;
}

export class LiveSession {
  #status = $state<LiveStatus>('idle');
  #devices = $state.raw<MicrophoneInfo[]>([]);
  /** dBFS of the last ~50 ms. */
  #levelDb = $state(-100);
  #seconds = $state(0);
  #recording = $state.raw<KeptRecording | null>(null);
  #interruption = $state<Interruption | null>(null);
  /** The utterance being spoken: settled and tentative text. */
  #utterance = $state.raw<LiveUpdate['live']>(null);
  /** Finals of this session received so far, and who waits for more (stop). */
  #finalsSeen = 0;
  #finalsWaiters: (() => void)[] = [];
  #stats = $state.raw<LiveStats | null>(null);
  #mic: Microphone | null = null;

  readonly #model: ModelSession;
  readonly #document: TranscriptDocument;
  readonly #history: History;
  readonly #out: LiveReporter;

  constructor(model: ModelSession, document: TranscriptDocument, history: History, out: LiveReporter) {
    this.#model = model;
    this.#document = document;
    this.#history = history;
    this.#out = out;
    model.onCrash(() => void this.#abandon());
  }

  get status() {
    return this.#status;
  }
  get active() {
    return this.#status !== 'idle';
  }
  /** The transcript is being written by this session. */
  get recording() {
    return this.#status === 'recording' || this.#status === 'paused' || this.#status === 'stopping';
  }
  get devices() {
    return this.#devices;
  }
  get levelDb() {
    return this.#levelDb;
  }
  get seconds() {
    return this.#seconds;
  }
  get kept() {
    return this.#recording;
  }
  get interruption() {
    return this.#interruption;
  }
  get utterance() {
    return this.#utterance;
  }
  get stats() {
    return this.#stats;
  }

  /** The worker is gone: release the microphone; the text on screen stays. */
  async #abandon() {
    const mic = this.#mic;
    this.#mic = null;
    this.#levelDb = -100;
    this.#utterance = null;
    this.#status = 'idle';
    await mic?.close();
  }

  async refreshDevices() {
    try {
      this.#devices = await listMicrophones();
    } catch {
      this.#devices = [];
    }
  }

  /** `deviceId`: '' for the system default. */
  async start(request: LoadRequest, options: LiveOptions, deviceId: string) {
    if (this.active) return;
    this.#status = 'starting';
    this.#interruption = null;
    // Model first: a model that fails to load should not leave the microphone open.
    const loaded = await this.#model.load(request);
    if (!loaded.ok) {
      this.#status = 'idle';
      if (loaded.error) this.#out.fail(loaded.error, { what: 'load' });
      return;
    }
    let mic: Microphone;
    try {
      mic = await Microphone.open(deviceId || null, {
        onLevel: (l) => {
          this.#levelDb = l.db;
          this.#seconds = l.seconds;
        },
        onInterrupted: (why) => void this.#interrupted(why),
      });
    } catch (err) {
      this.#status = 'idle';
      const kind = err instanceof MicrophoneError ? err.kind : 'busy';
      this.#out.report({ key: MIC_ERRORS[kind], params: { detail: (err as Error).message } });
      return;
    }
    this.#mic = mic;
    this.#seconds = 0;
    const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '-');
    const name = `${i18n.t('recordingName', { stamp })}.wav`;
    if (!(await this.#begin(request, mic.workerPort, options, name))) {
      await mic.close();
      this.#mic = null;
      this.#status = 'idle';
      return;
    }
    this.#status = 'recording';
    // Labels become readable once permission is granted.
    await this.refreshDevices();
  }

  /** The worker's side: the previous transcript is replaced only once the worker accepted. */
  async #begin(request: LoadRequest, port: MessagePort, options: LiveOptions, name: string): Promise<boolean> {
    const doc = this.#document;
    // Updates may overtake liveStart's reply (they travel on their own channel): hold them
    // until the document is set up here.
    let early: LiveUpdate[] | null = [];
    this.#finalsSeen = 0;
    const apply = (u: LiveUpdate) => {
      doc.append(u.finals);
      this.#finalsSeen += u.finals.length;
      for (const w of this.#finalsWaiters.splice(0)) w();
      this.#utterance = u.live;
      doc.updateMeta({ duration: u.seconds, completedUntil: u.seconds, ...(u.language ? { language: u.language } : {}) });
      this.#history.progress(doc.meta.entryId, { segments: [...doc.segments], completedUntil: u.seconds, language: doc.meta.language, duration: u.seconds });
    };
    try {
      await this.#model.client.liveStart(port, options, (u) => (early ? early.push(u) : this.recording && apply(u)));
    } catch (err) {
      const e = err as Error;
      if (e.name === 'SpeakerModelsMissing') this.#out.fail({ key: 'errSpeakerModels', params: { url: (options.speakerModels ?? []).join(' | ') } });
      else if (e.name !== 'WorkerCrashed') this.#out.fail({ message: e.message });
      return false;
    }
    doc.reset({ sourceName: name, source: 'live', model: request.modelId, task: options.task, language: options.language === 'auto' ? null : options.language });
    this.#utterance = null;
    this.#recording = null;
    this.#status = 'recording';
    const entryId = await this.#history.start({ name, source: 'live', model: request.modelId, task: options.task, duration: 0, options: { language: options.language, prompt: options.prompt } });
    doc.updateMeta({ entryId });
    for (const u of early) apply(u);
    early = null;
    return true;
  }

  async pause() {
    if (this.#status !== 'recording' || !this.#mic) return;
    this.#status = 'paused';
    await this.#mic.pause();
    await this.#model.client.livePause();
  }

  async resume() {
    if (this.#status !== 'paused' || !this.#mic) return;
    this.#interruption = null;
    try {
      await this.#mic.resume();
    } catch {
      return; // still suspended: the message stays
    }
    await this.#model.client.liveResume();
    this.#status = 'recording';
  }

  /** Resolves once `count` finals have arrived (or after 2 s: a lost update must not hang Stop). */
  #finalsArrived(count: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, 2_000);
      const check = () => (this.#finalsSeen >= count ? done() : this.#finalsWaiters.push(check));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      check();
    });
  }

  async stop() {
    const mic = this.#mic;
    if (!mic || (this.#status !== 'recording' && this.#status !== 'paused')) return;
    this.#status = 'stopping';
    mic.requestEnd();
    // Let the worklet run to send its last samples (it cannot while suspended).
    if (this.#interruption !== 'device-lost') await mic.resume().catch(() => {});
    const doc = this.#document;
    try {
      const result = await this.#model.client.liveStop();
      // The last finals travel on the updates' channel and may arrive after the reply.
      await this.#finalsArrived(result.finals);
      doc.updateMeta({ duration: result.seconds, completedUntil: result.seconds, ...(result.language ? { language: result.language } : {}) });
      this.#stats = result.stats;
      this.#utterance = null;
      this.#seconds = result.seconds;
      const file = new File([result.recording], doc.meta.sourceName, { type: 'audio/wav' });
      this.#recording = { file, seconds: result.seconds };
      this.#out.kept(file);
      await this.#history.finish(doc.meta.entryId, { segments: [...doc.segments], completedUntil: result.seconds, language: doc.meta.language, duration: result.seconds }, 'complete', { keepAudio: true, audio: result.recording });
    } catch (err) {
      this.#utterance = null;
      if ((err as Error).name !== 'WorkerCrashed') this.#out.fail({ message: (err as Error).message });
    }
    await mic.close();
    this.#mic = null;
    this.#levelDb = -100;
    this.#status = 'idle';
  }

  async #interrupted(why: Interruption) {
    this.#interruption = why;
    if (why === 'device-lost') {
      this.#out.report({ key: 'errMicLost' });
      await this.stop();
    } else if (this.#status === 'recording') {
      this.#status = 'paused';
      await this.#model.client.livePause();
      this.#out.report({ key: 'errMicSuspended' });
    }
  }
}
