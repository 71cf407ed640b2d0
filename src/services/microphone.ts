/**
 * The microphone: permission, device choice, the AudioContext and the capture worklet.
 * Audio frames go from the worklet straight to the ASR worker over the MessagePort returned by
 * `open()`; this thread only sees the level for the meter and the sample count for the clock.
 */
import workletUrl from '../../workers/audio/capture.worklet.ts?worker&url';
import type { CaptureMessage } from '../../workers/audio/capture.worklet';

export type MicrophoneErrorKind = 'denied' | 'no-device' | 'busy' | 'unsupported';

export class MicrophoneError extends Error {
  override name = 'MicrophoneError';
  constructor(
    readonly kind: MicrophoneErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface MicrophoneInfo {
  deviceId: string;
  label: string;
}

export interface Level {
  /** Loudness in dBFS (RMS over ~50 ms), −100 for digital silence. */
  db: number;
  peak: number;
  /** Seconds captured (at 16 kHz) since the start; stops while paused. */
  seconds: number;
}

/** Why capture stopped without being asked: the device went away, or the browser suspended audio. */
export type Interruption = 'device-lost' | 'suspended';

export async function listMicrophones(): Promise<MicrophoneInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  // Labels are empty until the user has granted the microphone once.
  return devices.filter((d) => d.kind === 'audioinput').map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Microphone ${i + 1}` }));
}

function classify(err: unknown): MicrophoneError {
  const name = (err as Error)?.name ?? '';
  const message = (err as Error)?.message ?? String(err);
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return new MicrophoneError('denied', message);
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return new MicrophoneError('no-device', message);
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError') return new MicrophoneError('busy', message);
  return new MicrophoneError('busy', message);
}

export class Microphone {
  readonly #stream: MediaStream;
  readonly #context: AudioContext;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #node: AudioWorkletNode;
  /** The port end that belongs to the ASR worker: transfer it there once. */
  readonly workerPort: MessagePort;
  readonly deviceId: string;
  #pausedByUs = false;
  #closed = false;

  private constructor(stream: MediaStream, context: AudioContext, source: MediaStreamAudioSourceNode, node: AudioWorkletNode, workerPort: MessagePort) {
    this.#stream = stream;
    this.#context = context;
    this.#source = source;
    this.#node = node;
    this.workerPort = workerPort;
    this.deviceId = stream.getAudioTracks()[0]?.getSettings().deviceId ?? '';
  }

  /**
   * Ask for the microphone and start capturing. Throws MicrophoneError (permission denied, no
   * device, device busy, no support) before anything else changes.
   */
  static async open(
    deviceId: string | null,
    handlers: { onLevel: (l: Level) => void; onInterrupted: (why: Interruption) => void },
  ): Promise<Microphone> {
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === 'undefined') {
      throw new MicrophoneError('unsupported', 'This browser cannot record audio here.');
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        // What Whisper hears should be what was said: the voice-call processing (echo cancel,
        // noise suppression, automatic gain) smears speech and pumps the level.
        audio: { deviceId: deviceId ? { exact: deviceId } : undefined, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      throw classify(err);
    }
    const context = new AudioContext({ latencyHint: 'interactive' });
    try {
      await context.audioWorklet.addModule(workletUrl);
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, 'earshot-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: 'explicit',
        channelInterpretation: 'speakers',
      });
      const channel = new MessageChannel();
      node.port.postMessage({ type: 'port', port: channel.port1 }, [channel.port1]);
      const mic = new Microphone(stream, context, source, node, channel.port2);
      node.port.onmessage = (e: MessageEvent<CaptureMessage>) => {
        if (e.data.type === 'level') handlers.onLevel({ db: e.data.rms > 0 ? 20 * Math.log10(e.data.rms) : -100, peak: e.data.peak, seconds: e.data.samples / 16_000 });
      };
      for (const track of stream.getAudioTracks()) track.addEventListener('ended', () => mic.#interrupted('device-lost', handlers.onInterrupted));
      context.addEventListener('statechange', () => {
        // Mobile browsers suspend (iOS: "interrupted") audio when the page is hidden or a call comes in.
        if (context.state !== 'running' && context.state !== 'closed' && !mic.#pausedByUs) mic.#interrupted('suspended', handlers.onInterrupted);
      });
      source.connect(node);
      if (context.state === 'suspended') await context.resume();
      return mic;
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      await context.close().catch(() => {});
      throw err instanceof MicrophoneError ? err : new MicrophoneError('unsupported', (err as Error).message);
    }
  }

  #interrupted(why: Interruption, notify: (why: Interruption) => void) {
    if (this.#closed) return;
    this.#pausedByUs = true;
    notify(why);
  }

  get sampleRate() {
    return this.#context.sampleRate;
  }

  get label() {
    return this.#stream.getAudioTracks()[0]?.label ?? '';
  }

  async pause() {
    this.#pausedByUs = true;
    await this.#context.suspend();
  }

  async resume() {
    await this.#context.resume();
    this.#pausedByUs = false;
  }

  /** Ask the worklet to send its last samples and an end marker to the worker. */
  requestEnd() {
    this.#pausedByUs = true;
    this.#node.port.postMessage({ type: 'stop' });
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#pausedByUs = true;
    this.#source.disconnect();
    this.#node.port.onmessage = null;
    for (const t of this.#stream.getTracks()) t.stop();
    await this.#context.close().catch(() => {});
  }
}
