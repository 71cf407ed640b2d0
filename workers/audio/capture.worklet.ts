/**
 * AudioWorklet processor: microphone → 16 kHz frames for the ASR worker.
 *
 * Runs on the audio rendering thread at the device's rate. The node is created with
 * `channelCount: 1, channelCountMode: 'explicit'`, so the graph has already downmixed; this
 * resamples with the same stateful resampler as the file path and posts 512-sample frames (one
 * VAD frame, 32 ms) over the MessagePort the main thread handed over, straight to the ASR worker.
 * The main thread hears only the level and the sample count, ~20 times a second.
 *
 * Messages in (on `this.port`): `{ type: 'port', port }` — where frames go; `{ type: 'stop' }` —
 * flush the resampler, send the last frame and `{ type: 'end' }` on the frame port, stop.
 */
import { WHISPER_SAMPLE_RATE_HZ } from '../../src/domain/audio/constants';
import { Resampler } from '../../src/domain/audio/resample';
import { VAD_FRAME_SAMPLES } from '../../src/domain/audio/vad-segmenter';

// The AudioWorkletGlobalScope's globals (not in TypeScript's DOM library).
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new (options: unknown) => AudioWorkletProcessor): void;

export type CaptureMessage = { type: 'level'; rms: number; peak: number; samples: number };

const LEVEL_INTERVAL_S = 0.05;

class CaptureProcessor extends AudioWorkletProcessor {
  #resampler = new Resampler(sampleRate, WHISPER_SAMPLE_RATE_HZ);
  #frame = new Float32Array(VAD_FRAME_SAMPLES);
  #fill = 0;
  #out: MessagePort | null = null;
  /** 16 kHz samples sent so far: the session clock. */
  #sent = 0;
  #running = true;
  #sumSquares = 0;
  #peak = 0;
  #levelCount = 0;
  readonly #levelEvery = Math.round(sampleRate * LEVEL_INTERVAL_S);

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<{ type: 'port'; port: MessagePort } | { type: 'stop' }>) => {
      if (e.data.type === 'port') this.#out = e.data.port;
      else if (e.data.type === 'stop') this.#stop();
    };
  }

  #push(samples: Float32Array) {
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(samples.length - i, VAD_FRAME_SAMPLES - this.#fill);
      this.#frame.set(samples.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill === VAD_FRAME_SAMPLES) this.#send();
    }
  }

  #send() {
    const frame = this.#fill === this.#frame.length ? this.#frame : this.#frame.slice(0, this.#fill);
    this.#out?.postMessage({ type: 'frame', samples: frame }, [frame.buffer]);
    this.#sent += this.#fill;
    this.#frame = new Float32Array(VAD_FRAME_SAMPLES);
    this.#fill = 0;
  }

  #stop() {
    if (!this.#running) return;
    this.#running = false;
    this.#push(this.#resampler.flush());
    if (this.#fill > 0) this.#send();
    this.#out?.postMessage({ type: 'end', samples: this.#sent });
    this.port.postMessage({ type: 'level', rms: 0, peak: 0, samples: this.#sent } satisfies CaptureMessage);
  }

  process(inputs: Float32Array[][]): boolean {
    if (!this.#running) return false;
    const input = inputs[0]?.[0];
    if (!input) return true; // no input connected yet (or the track ended): keep the node alive
    for (let i = 0; i < input.length; i++) {
      const s = input[i];
      this.#sumSquares += s * s;
      const a = Math.abs(s);
      if (a > this.#peak) this.#peak = a;
    }
    this.#levelCount += input.length;
    this.#push(this.#resampler.process(input));
    if (this.#levelCount >= this.#levelEvery) {
      this.port.postMessage({
        type: 'level',
        rms: Math.sqrt(this.#sumSquares / this.#levelCount),
        peak: this.#peak,
        samples: this.#sent + this.#fill,
      } satisfies CaptureMessage);
      this.#sumSquares = this.#peak = this.#levelCount = 0;
    }
    return true;
  }
}

registerProcessor('earshot-capture', CaptureProcessor);
