/**
 * Kaldi fbank features for CAM++ (80 mel bins, 25 ms frames every 10 ms, computed with
 * transformers.js's audio utilities; see ../shared/diarization/README.md), and the features of
 * the segmentation windows computed once per 2 s block and shared by the windows over it.
 */
import { mel_filter_bank, spectrogram, window_function } from '@huggingface/transformers';
import { SAMPLE_RATE, WINDOW_SAMPLES } from '../../../src/domain/diarization/segmentation';

export const MEL_BINS = 80;
export const FEATURE_HOP = 160;
const FEATURE_FRAME = 400;
/** Features are computed once per block of this many samples (2 s) and shared by the windows over it. */
const BLOCK_SAMPLES = 32_000;
const BLOCK_FRAMES = BLOCK_SAMPLES / FEATURE_HOP;

export type Fbank = { data: Float32Array; frames: number };

export class KaldiFbank {
  readonly #melFilters = mel_filter_bank(257, MEL_BINS, 20, 8000, SAMPLE_RATE, undefined, 'kaldi', true);
  readonly #window = window_function(FEATURE_FRAME, 'povey', { periodic: false });

  /** Fbank of 16 kHz audio `[frames × 80]`, before mean subtraction. */
  async of(audio: Float32Array): Promise<Fbank> {
    if (audio.length < FEATURE_FRAME) return { data: new Float32Array(0), frames: 0 };
    const scaled = audio.map((x) => x * 32768);
    const t = await spectrogram(scaled, this.#window, FEATURE_FRAME, FEATURE_HOP, {
      fft_length: 512,
      power: 2,
      center: false,
      preemphasis: 0.97,
      mel_filters: this.#melFilters,
      log_mel: 'log',
      mel_floor: 1.192092955078125e-7,
      remove_dc_offset: true,
      transpose: true,
    });
    return { data: t.data as Float32Array, frames: t.dims[0] };
  }
}

/**
 * Fbank frames are independent of each other (a 25 ms frame every 10 ms), so the features of a
 * window are the file's features over it: computed once per 2 s block instead of once per window
 * (five times over with a 2 s step). Blocks behind the current window are dropped.
 */
export class FeatureBlocks {
  readonly #audio: Float32Array;
  readonly #compute: (samples: Float32Array) => Promise<Fbank>;
  readonly #blocks = new Map<number, Float32Array>();

  constructor(audio: Float32Array, compute: (samples: Float32Array) => Promise<Fbank>) {
    this.#audio = audio;
    this.#compute = compute;
  }

  async #block(b: number): Promise<Float32Array> {
    let block = this.#blocks.get(b);
    if (!block) {
      // The block's 200 frames need the samples of its last frame, 240 past the block's end.
      const from = b * BLOCK_SAMPLES;
      const samples = new Float32Array(BLOCK_SAMPLES + FEATURE_FRAME - FEATURE_HOP);
      samples.set(this.#audio.subarray(from, Math.min(this.#audio.length, from + samples.length)));
      block = (await this.#compute(samples)).data;
      this.#blocks.set(b, block);
    }
    return block;
  }

  /** The features of the 10 s window starting at `start` (a multiple of 160 samples), as one window's fbank would be. */
  async window(start: number): Promise<Fbank> {
    const frames = Math.floor((WINDOW_SAMPLES - FEATURE_FRAME) / FEATURE_HOP) + 1;
    const first = start / FEATURE_HOP;
    for (const b of this.#blocks.keys()) if ((b + 1) * BLOCK_FRAMES <= first) this.#blocks.delete(b);
    const data = new Float32Array(frames * MEL_BINS);
    for (let i = 0; i < frames; ) {
      const g = first + i;
      const b = Math.floor(g / BLOCK_FRAMES);
      const block = await this.#block(b);
      const offset = g - b * BLOCK_FRAMES;
      const n = Math.min(frames - i, BLOCK_FRAMES - offset);
      data.set(block.subarray(offset * MEL_BINS, (offset + n) * MEL_BINS), i * MEL_BINS);
      i += n;
    }
    return { data, frames };
  }
}
