/**
 * The player of what the transcript is of (the file, or the kept recording), on the device. The
 * editor seeks it, follows it and drives it from the keyboard; the review queue plays a segment.
 */
export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

export class Playback {
  #url = $state<string | null>(null);
  #time = $state(0);
  #playing = $state(false);
  #rate = $state(1);
  #el: HTMLMediaElement | null = null;
  #stopAt: number | null = null;
  #frame = 0;

  get url() {
    return this.#url;
  }
  get time() {
    return this.#time;
  }
  get playing() {
    return this.#playing;
  }
  get rate() {
    return this.#rate;
  }

  /** What to play (null: nothing). The previous object URL is released. */
  setSource(blob: Blob | null) {
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = blob ? URL.createObjectURL(blob) : null;
    this.#time = 0;
    this.#playing = false;
    this.#stopAt = null;
  }

  /** The media element renders it; returns the detach function (an `$effect`/attachment cleanup). */
  attach(el: HTMLMediaElement): () => void {
    this.#el = el;
    el.playbackRate = this.#rate;
    const sync = () => {
      this.#time = el.currentTime;
      if (this.#stopAt !== null && el.currentTime >= this.#stopAt) {
        this.#stopAt = null;
        el.pause();
      }
    };
    // timeupdate fires ~4 times a second; while playing, follow every frame for the highlight.
    const tick = () => {
      sync();
      if (!el.paused) this.#frame = requestAnimationFrame(tick);
    };
    const play = () => {
      this.#playing = true;
      cancelAnimationFrame(this.#frame);
      this.#frame = requestAnimationFrame(tick);
    };
    const pause = () => {
      this.#playing = false;
      sync();
    };
    const rate = () => (this.#rate = el.playbackRate);
    const listeners: [string, () => void][] = [['timeupdate', sync], ['seeked', sync], ['play', play], ['pause', pause], ['ended', pause], ['ratechange', rate]];
    for (const [event, fn] of listeners) el.addEventListener(event, fn);
    return () => {
      cancelAnimationFrame(this.#frame);
      for (const [event, fn] of listeners) el.removeEventListener(event, fn);
      if (this.#el === el) this.#el = null;
    };
  }

  seek(seconds: number) {
    const el = this.#el;
    if (!el) return;
    el.currentTime = Math.max(0, Math.min(seconds, Number.isFinite(el.duration) ? el.duration : seconds));
    this.#time = el.currentTime;
  }

  /** Seek and play on from there (a click on a word or a time: "click a word to hear it"). */
  playFrom(seconds: number) {
    const el = this.#el;
    if (!el) return;
    this.seek(seconds);
    this.#stopAt = null;
    if (el.paused) void el.play().catch(() => {});
  }

  toggle() {
    const el = this.#el;
    if (!el) return;
    this.#stopAt = null;
    if (el.paused) void el.play().catch(() => {});
    else el.pause();
  }

  skip(seconds: number) {
    if (this.#el) this.seek(this.#el.currentTime + seconds);
  }

  setRate(rate: number) {
    this.#rate = Math.max(RATES[0], Math.min(RATES[RATES.length - 1], rate));
    if (this.#el) this.#el.playbackRate = this.#rate;
  }

  /** One step slower or faster through `RATES`. */
  stepRate(direction: 1 | -1) {
    const i = RATES.findIndex((r) => r >= this.#rate - 1e-9);
    this.setRate(RATES[Math.max(0, Math.min(RATES.length - 1, (i < 0 ? RATES.length - 1 : i) + direction))]);
  }

  /** Play one span (a review item) and stop at its end. */
  playRange(start: number, end: number) {
    const el = this.#el;
    if (!el) return;
    this.seek(start);
    this.#stopAt = end;
    void el.play().catch(() => {});
  }
}
