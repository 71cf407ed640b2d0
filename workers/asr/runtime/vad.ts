/**
 * Silero VAD v5 on ONNX Runtime: one speech probability per 512-sample frame at 16 kHz.
 * The runtime is passed in (onnxruntime-web in the worker, onnxruntime-node in unit tests), so
 * both run this exact code.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { withOrtLock } from './ort-lock';
import { yieldToEventLoop } from './yield';
import { VAD_CONTEXT_SAMPLES, VAD_FRAME_SAMPLES } from '../../../src/domain/audio/vad-segmenter';

export interface OrtRuntime {
  InferenceSession: { create(model: Uint8Array | string, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) => Tensor;
}

const STATE_SIZE = 2 * 1 * 128;

export class SileroVad {
  readonly #session: InferenceSession;
  readonly #ort: OrtRuntime;
  readonly #sr: Tensor;
  #state = new Float32Array(STATE_SIZE);
  /** Seconds spent inside the model's runs (not waiting for the runtime), for the benchmark. */
  runSeconds = 0;
  /** The previous frame's last 64 samples followed by the new frame: the model's [1, 576] input. */
  readonly #input = new Float32Array(VAD_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES);

  private constructor(session: InferenceSession, ort: OrtRuntime) {
    this.#session = session;
    this.#ort = ort;
    this.#sr = new ort.Tensor('int64', BigInt64Array.from([16_000n]), []);
  }

  /** `executionProvider`: `wasm` in the browser (the CPU, whatever device Whisper runs on), `cpu` in Node. */
  static async create(ort: OrtRuntime, model: Uint8Array | string, executionProvider: 'wasm' | 'cpu' = 'wasm'): Promise<SileroVad> {
    // One thread: a 32 ms frame is well under a millisecond of work, and the pool belongs to Whisper.
    const session = await ort.InferenceSession.create(model, { executionProviders: [executionProvider], intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new SileroVad(session, ort);
  }

  reset() {
    this.#state = new Float32Array(STATE_SIZE);
    this.#input.fill(0);
  }

  /** Speech probability of one 512-sample frame (16 kHz). Frames must come in order. */
  async probability(frame: Float32Array): Promise<number> {
    return (await this.probabilities([frame]))[0];
  }

  /**
   * Probabilities of consecutive frames, holding the runtime once for all of them: frames that
   * queued up while Whisper ran are cleared in one go, instead of one per decoder step (which is
   * slower than real time and left the VAD — and every utterance end — running late).
   */
  async probabilities(frames: readonly Float32Array[]): Promise<number[]> {
    for (const frame of frames) {
      if (frame.length !== VAD_FRAME_SAMPLES) throw new RangeError(`VAD frames are ${VAD_FRAME_SAMPLES} samples, got ${frame.length}`);
    }
    return withOrtLock(async () => {
      const t0 = performance.now();
      const { Tensor: T } = this.#ort;
      const out: number[] = [];
      try {
        for (const frame of frames) {
          this.#input.copyWithin(0, VAD_FRAME_SAMPLES); // keep the last 64 samples as context
          this.#input.set(frame, VAD_CONTEXT_SAMPLES);
          const r = await this.#session.run({
            input: new T('float32', this.#input.slice(), [1, this.#input.length]),
            state: new T('float32', this.#state, [2, 1, 128]),
            sr: this.#sr,
          });
          this.#state = (r.stateN.data as Float32Array).slice();
          out.push((r.output.data as Float32Array)[0]);
          r.output.dispose?.();
          r.stateN.dispose?.();
        }
      } finally {
        this.runSeconds += (performance.now() - t0) / 1000;
      }
      return out;
    });
  }

  /**
   * Probabilities of every frame of a whole file, for planning long-form windows. One run per
   * frame would cost more than a millisecond each in the browser (5 minutes ≈ 10 000 runs), so
   * the file is cut into `lanes` stretches decoded side by side as one batch; each lane starts
   * `warmupFrames` early (state settles) and those outputs are dropped. The live state is left alone.
   */
  async fileProbabilities(audio: Float32Array, lanes = 32, warmupFrames = 16, isCancelled: () => boolean = () => false): Promise<Float32Array> {
    const F = VAD_FRAME_SAMPLES;
    const C = VAD_CONTEXT_SAMPLES;
    const frames = Math.ceil(audio.length / F);
    const out = new Float32Array(frames);
    if (frames === 0) return out;
    const B = Math.max(1, Math.min(lanes, Math.floor(frames / (4 * warmupFrames)) || 1));
    const per = Math.ceil(frames / B);
    const W = warmupFrames;
    const steps = per + W;
    let state = new Float32Array(2 * B * 128);
    const input = new Float32Array(B * (C + F));
    const { Tensor: T } = this.#ort;
    const t0 = performance.now();
    let turn = t0;
    for (let s = 0; s < steps; s++) {
      // Give the event loop a turn every ~50 ms: a cancel lands, the watchdog's ping is answered.
      if (performance.now() - turn > 50) {
        await yieldToEventLoop();
        turn = performance.now();
      }
      if (isCancelled()) break;
      // Lane b reads frame b·per − W + s (before 0: silence), with the 64 samples before it.
      for (let b = 0; b < B; b++) {
        const at = (b * per - W + s) * F - C;
        for (let k = 0; k < C + F; k++) {
          const i = at + k;
          input[b * (C + F) + k] = i >= 0 && i < audio.length ? audio[i] : 0;
        }
      }
      const r = await withOrtLock(() =>
        this.#session.run({
          input: new T('float32', input.slice(), [B, C + F]),
          state: new T('float32', state, [2, B, 128]),
          sr: this.#sr,
        }),
      );
      state = (r.stateN.data as Float32Array).slice();
      const p = r.output.data as Float32Array;
      for (let b = 0; b < B; b++) {
        const frame = b * per - W + s;
        if (s >= W && frame < frames) out[frame] = p[b];
      }
    }
    this.runSeconds += (performance.now() - t0) / 1000;
    return out;
  }

  async dispose() {
    await this.#session.release();
  }
}
