import type { LiveOptions, LoadRequest } from '../../workers/asr/protocol';
import { listMicrophones, Microphone, MicrophoneError, type Interruption, type MicrophoneInfo } from '../services/microphone';
import { i18n } from '../i18n/i18n.svelte';
import type { Transcriber, UiError } from './transcriber.svelte';

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

/**
 * The microphone side of a live session: device list, level, clock, pause/resume/stop, and the
 * recording kept afterwards. The text itself lives in the Transcriber (one transcript on screen).
 */
export class LiveRecorder {
  status = $state<LiveStatus>('idle');
  devices = $state.raw<MicrophoneInfo[]>([]);
  /** dBFS of the last ~50 ms. */
  levelDb = $state(-100);
  seconds = $state(0);
  recording = $state.raw<KeptRecording | null>(null);
  /** Why the session paused or ended on its own (shown until the next action). */
  interruption = $state<Interruption | null>(null);

  #mic: Microphone | null = null;
  readonly #transcriber: Transcriber;

  constructor(transcriber: Transcriber) {
    this.#transcriber = transcriber;
    transcriber.onCrash = () => void this.#abandon();
  }

  /** The worker is gone: release the microphone; the text on screen stays. */
  async #abandon() {
    const mic = this.#mic;
    this.#mic = null;
    this.levelDb = -100;
    this.status = 'idle';
    await mic?.close();
  }

  get active() {
    return this.status !== 'idle';
  }

  async refreshDevices() {
    try {
      this.devices = await listMicrophones();
    } catch {
      this.devices = [];
    }
  }

  /** `deviceId`: '' for the system default. */
  async start(request: LoadRequest, options: LiveOptions, deviceId: string) {
    if (this.active || this.#transcriber.busy) return;
    this.status = 'starting';
    this.interruption = null;
    // Model first: a model that fails to load should not leave the microphone open.
    if (!(await this.#transcriber.load(request))) {
      this.status = 'idle';
      return;
    }
    let mic: Microphone;
    try {
      mic = await Microphone.open(deviceId || null, {
        onLevel: (l) => {
          this.levelDb = l.db;
          this.seconds = l.seconds;
        },
        onInterrupted: (why) => void this.#interrupted(why),
      });
    } catch (err) {
      this.status = 'idle';
      const kind = err instanceof MicrophoneError ? err.kind : 'busy';
      this.#transcriber.report({ key: MIC_ERRORS[kind], params: { detail: (err as Error).message } });
      return;
    }
    this.#mic = mic;
    this.seconds = 0;
    const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '-');
    const ok = await this.#transcriber.startLive(request, mic.workerPort, options, `${i18n.t('recordingName', { stamp })}.wav`);
    if (!ok) {
      await mic.close();
      this.#mic = null;
      this.status = 'idle';
      return;
    }
    this.status = 'recording';
    // Labels become readable once permission is granted.
    await this.refreshDevices();
  }

  async pause() {
    if (this.status !== 'recording' || !this.#mic) return;
    this.status = 'paused';
    await this.#mic.pause();
    await this.#transcriber.pauseLive();
  }

  async resume() {
    if (this.status !== 'paused' || !this.#mic) return;
    this.interruption = null;
    try {
      await this.#mic.resume();
    } catch {
      return; // still suspended: the message stays
    }
    await this.#transcriber.resumeLive();
    this.status = 'recording';
  }

  async stop() {
    const mic = this.#mic;
    if (!mic || (this.status !== 'recording' && this.status !== 'paused')) return;
    this.status = 'stopping';
    mic.requestEnd();
    // Let the worklet run to send its last samples (it cannot while suspended).
    if (mic && this.interruption !== 'device-lost') await mic.resume().catch(() => {});
    const result = await this.#transcriber.stopLive();
    await mic.close();
    this.#mic = null;
    this.levelDb = -100;
    this.status = 'idle';
    if (result) {
      this.seconds = result.seconds;
      this.recording = { file: new File([result.recording], this.#transcriber.fileName, { type: 'audio/wav' }), seconds: result.seconds };
    }
  }

  async #interrupted(why: Interruption) {
    this.interruption = why;
    if (why === 'device-lost') {
      this.#transcriber.report({ key: 'errMicLost' });
      await this.stop();
    } else if (this.status === 'recording') {
      this.status = 'paused';
      await this.#transcriber.pauseLive();
      this.#transcriber.report({ key: 'errMicSuspended' });
    }
  }
}
