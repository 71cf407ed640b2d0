/**
 * Whisper's log-mel spectrogram of one 30 s window, as its feature extractor defines it: the
 * audio zero-padded to the window, a centred STFT (reflect padding, periodic Hann window,
 * n_fft 400, hop 160), the power spectrum through the mel filter bank, log10 with a floor of
 * 1e-10, then clamped to 8 below the window's maximum and scaled as (x + 4) / 4.
 *
 * Two things make it cheap: the transform is a mixed-radix FFT of the frame length (fft.ts), and
 * only frames that touch audio are transformed — a frame wholly in the zero padding is exactly
 * log10(1e-10) = −10 before scaling, so a 3 s utterance costs a tenth of a full window.
 */
import { RealPowerSpectrum, isSmoothLength } from './fft';

export interface LogMelConfig {
  /** Frame length (n_fft) and hop, in samples. */
  nFft: number;
  hop: number;
  /** Frames per window (3 000 for 30 s at 16 kHz). */
  frames: number;
  /** Analysis window, length nFft. */
  window: ArrayLike<number>;
  /** Mel filter bank: one row of nFft / 2 + 1 weights per mel band. */
  melFilters: ArrayLike<number>[];
}

const LOG_FLOOR = -10; // log10 of the extractor's mel floor, 1e-10

export class LogMel {
  readonly mels: number;
  readonly frames: number;
  readonly #nFft: number;
  readonly #hop: number;
  readonly #window: Float64Array;
  readonly #spectrum: RealPowerSpectrum;
  /** Each band's non-zero weights: first bin and weights from there. */
  readonly #bands: { from: number; weights: Float64Array }[];

  static supports(nFft: number): boolean {
    return nFft % 2 === 0 && isSmoothLength(nFft / 2);
  }

  constructor(config: LogMelConfig) {
    this.#nFft = config.nFft;
    this.#hop = config.hop;
    this.frames = config.frames;
    this.mels = config.melFilters.length;
    this.#window = Float64Array.from(config.window);
    this.#spectrum = new RealPowerSpectrum(config.nFft);
    this.#bands = config.melFilters.map((row) => {
      let from = 0;
      let to = row.length;
      while (from < to && row[from] === 0) from++;
      while (to > from && row[to - 1] === 0) to--;
      return { from, weights: Float64Array.from(Array.prototype.slice.call(row, from, to) as number[]) };
    });
  }

  /** Normalised log-mel of `audio` (at most one window), row-major [mels × frames]. */
  compute(audio: Float32Array): Float32Array {
    const { frames, mels } = this;
    const nFft = this.#nFft;
    const hop = this.#hop;
    const total = frames * hop; // the window the audio is padded to
    const length = Math.min(audio.length, total);
    const half = nFft / 2;
    const last = total - 1;
    // w[j] of the padded window, with the STFT's reflect padding outside it.
    const sample = (j: number) => {
      const r = j < 0 ? -j : j > last ? 2 * last - j : j;
      return r < length ? audio[r] : 0;
    };
    const out = new Float32Array(mels * frames);
    const frame = new Float64Array(nFft);
    const power = new Float64Array(this.#spectrum.bins);
    let max = LOG_FLOOR;
    const computed = new Uint8Array(frames);
    for (let i = 0; i < frames; i++) {
      const start = i * hop - half;
      // All zeros (inside the padding, and its reflection does not reach back into the audio).
      if (start >= length && 2 * last - (start + nFft - 1) >= length) continue;
      computed[i] = 1;
      if (start >= 0 && start + nFft <= length) {
        for (let t = 0; t < nFft; t++) frame[t] = audio[start + t] * this.#window[t];
      } else {
        for (let t = 0; t < nFft; t++) frame[t] = sample(start + t) * this.#window[t];
      }
      this.#spectrum.power(frame, power);
      for (let m = 0; m < mels; m++) {
        const { from, weights } = this.#bands[m];
        let energy = 0;
        for (let b = 0; b < weights.length; b++) energy += weights[b] * power[from + b];
        // Stored as float32, as the extractor does before taking the maximum.
        const value = Math.fround(Math.log10(Math.max(1e-10, energy)));
        out[m * frames + i] = value;
        if (value > max) max = value;
      }
    }
    const floor = max - 8;
    const padding = (Math.max(LOG_FLOOR, floor) + 4) / 4;
    for (let m = 0; m < mels; m++) {
      const row = m * frames;
      for (let i = 0; i < frames; i++) out[row + i] = computed[i] ? (Math.max(out[row + i], floor) + 4) / 4 : padding;
    }
    return out;
  }
}
