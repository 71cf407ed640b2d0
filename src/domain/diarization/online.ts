/**
 * Speakers of a live session, one utterance at a time: each utterance's embedding joins the
 * speaker it is most like (its running centroid), or starts a new one when it is like nobody so
 * far. Labels never change once shown, so they stay consistent with what the session has shown.
 */
import { cosine, normalise } from './clustering';

export interface OnlineOptions {
  /** Cosine similarity from which an utterance is the same speaker (CAM++ on clean speech: same 0.74–0.91, different 0.16–0.50). */
  same?: number;
  /** Utterances shorter than this (seconds) say too little to start a new speaker: they join the nearest. */
  minNewSeconds?: number;
}

export class OnlineSpeakers {
  readonly #sums: Float32Array[] = [];
  readonly #same: number;
  readonly #minNew: number;

  constructor({ same = 0.55, minNewSeconds = 1 }: OnlineOptions = {}) {
    this.#same = same;
    this.#minNew = minNewSeconds;
  }

  get count() {
    return this.#sums.length;
  }

  /** The speaker (0-based, by first appearance) of an utterance with this embedding and length. */
  assign(embedding: Float32Array, seconds: number): number {
    const unit = normalise(embedding);
    let best = -1;
    let bestSim = -Infinity;
    this.#sums.forEach((sum, i) => {
      const sim = cosine(unit, sum);
      if (sim > bestSim) {
        bestSim = sim;
        best = i;
      }
    });
    if (best < 0 || (bestSim < this.#same && seconds >= this.#minNew)) {
      this.#sums.push(Float32Array.from(unit));
      return this.#sums.length - 1;
    }
    // Only utterances that clearly belong move the centroid (a short, unsure one does not drag it).
    if (bestSim >= this.#same) {
      const sum = this.#sums[best];
      for (let i = 0; i < sum.length; i++) sum[i] += unit[i];
    }
    return best;
  }
}
