/**
 * The live session's recent audio as VAD frames (512 samples), numbered from the session's start:
 * frames are added as the VAD reads them and dropped once no utterance can still need them.
 */
import { VAD_FRAME_SAMPLES } from '../../../src/domain/audio/vad-segmenter';

export class FrameBuffer {
  #frames: Float32Array[] = [];
  /** The number of the first frame kept. */
  #first = 0;

  push(frame: Float32Array) {
    this.#frames.push(frame);
  }

  /** Forget the frames before frame `keepFrom`. */
  dropBefore(keepFrom: number) {
    if (keepFrom <= this.#first) return;
    const drop = Math.min(keepFrom - this.#first, this.#frames.length);
    this.#frames.splice(0, drop);
    this.#first += drop;
  }

  /** The samples of frames [start, end) that are still kept. */
  audio(start: number, end: number): Float32Array {
    const from = Math.max(0, start - this.#first);
    const to = Math.max(from, Math.min(this.#frames.length, end - this.#first));
    const out = new Float32Array((to - from) * VAD_FRAME_SAMPLES);
    for (let f = from; f < to; f++) out.set(this.#frames[f], (f - from) * VAD_FRAME_SAMPLES);
    return out;
  }
}
