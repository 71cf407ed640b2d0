/**
 * Live transcription in the ASR worker: 16 kHz frames from the capture worklet → recording +
 * Silero VAD → utterances → re-decoded about once a second (stable/tentative by LocalAgreement-2)
 * → a final pass when the utterance ends. See docs/architecture.md, "microphone → live text".
 */
import { WHISPER_SAMPLE_RATE_HZ } from '../../src/domain/audio/constants';
import { VAD_FRAME_SAMPLES, VadSegmenter, type VadEvent } from '../../src/domain/audio/vad-segmenter';
import { agreedLength } from '../../src/domain/transcript/agreement';
import type { Segment } from '../../src/domain/transcript/types';
import { MAX_PROMPT_TOKENS, type WhisperEngine } from './engine';
import type { LiveOptions, LiveResult, LiveStats, LiveUpdate } from './protocol';
import type { Recording } from './recording';
import type { SileroVad } from './vad';

/** Re-decode the growing utterance once this much new audio has come (~1 s). */
const PASS_EVERY_FRAMES = Math.round(WHISPER_SAMPLE_RATE_HZ / VAD_FRAME_SAMPLES);
const FRAME_S = VAD_FRAME_SAMPLES / WHISPER_SAMPLE_RATE_HZ;
/** How long stop waits for the worklet's last frames before finishing without them. */
const END_TIMEOUT_MS = 1_000;

interface Utterance {
  id: number;
  start: number;
  /** Settled text tokens: forced as decoder prefix of every later pass. */
  stable: number[];
  lastPass: number[] | null;
  tentative: number[];
  /** Frame count when the last pass started. */
  passedAt: number;
  language: string | null;
}

interface PendingFinal {
  utterance: Utterance;
  audio: Float32Array;
  end: number;
  /** Worker clock when the last speech frame arrived (latency is measured from it). */
  speechArrivedAt: number;
}

export class LiveSession {
  readonly #engine: WhisperEngine;
  readonly #vad: SileroVad;
  readonly #port: MessagePort;
  readonly #recording: Recording;
  readonly #options: LiveOptions;
  readonly #onUpdate: (u: LiveUpdate) => void;
  readonly #segmenter = new VadSegmenter();
  readonly #userPrompt: number[];
  readonly #vadSecondsAtStart: number;
  #history: number[] = [];

  /** Incoming audio not yet through the VAD, and the remainder of a partial frame. */
  #queue: Float32Array[] = [];
  #carry = new Float32Array(0);
  #draining = false;
  /** Recent frames: from the current utterance's start (or the pre-roll) to now. */
  #frames: Float32Array[] = [];
  #firstFrame = 0;
  /** Arrival time of each recent frame, same indexing as #frames. */
  #arrivals: number[] = [];

  #current: Utterance | null = null;
  #finals: PendingFinal[] = [];
  #nextId = 1;
  #decoding = false;
  #cancelPassOf = 0;
  #paused = false;
  #stopped = false;
  #ended: Promise<void>;
  #resolveEnded!: () => void;
  #idleWaiters: (() => void)[] = [];
  #error: Error | null = null;

  readonly #segments: Segment[] = [];
  readonly #stats: LiveStats = { utterances: 0, passes: 0, finalPasses: 0, cancelledPasses: 0, latencies: [], vadSeconds: 0, decodeSeconds: 0 };

  constructor(
    engine: WhisperEngine,
    vad: SileroVad,
    port: MessagePort,
    recording: Recording,
    options: LiveOptions,
    onUpdate: (u: LiveUpdate) => void,
  ) {
    this.#engine = engine;
    this.#vad = vad;
    this.#port = port;
    this.#recording = recording;
    this.#options = options;
    this.#onUpdate = onUpdate;
    this.#vadSecondsAtStart = vad.runSeconds;
    this.#userPrompt = engine.encodePrompt(options.prompt).slice(0, MAX_PROMPT_TOKENS);
    this.#ended = new Promise((r) => (this.#resolveEnded = r));
    port.onmessage = (e: MessageEvent<{ type: 'frame'; samples: Float32Array } | { type: 'end' }>) => {
      if (e.data.type === 'frame') {
        if (this.#paused || this.#stopped) return;
        this.#queue.push(e.data.samples);
        void this.#drain();
      } else if (e.data.type === 'end') {
        this.#resolveEnded();
      }
    };
  }

  get seconds() {
    return this.#recording.samples / WHISPER_SAMPLE_RATE_HZ;
  }

  /** Run VAD over queued audio, frame by frame, in order; then see whether to decode. */
  async #drain() {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length) {
        const chunk = this.#queue.shift()!;
        this.#recording.append(chunk);
        let audio = chunk;
        if (this.#carry.length) {
          audio = new Float32Array(this.#carry.length + chunk.length);
          audio.set(this.#carry);
          audio.set(chunk, this.#carry.length);
        }
        let at = 0;
        for (; at + VAD_FRAME_SAMPLES <= audio.length; at += VAD_FRAME_SAMPLES) {
          const frame = audio.slice(at, at + VAD_FRAME_SAMPLES);
          const p = await this.#vad.probability(frame);
          this.#frames.push(frame);
          this.#arrivals.push(performance.now());
          this.#handle(this.#segmenter.push(p));
        }
        this.#carry = audio.slice(at);
      }
    } catch (err) {
      this.#error = err as Error;
    } finally {
      this.#draining = false;
    }
    this.#schedule();
  }

  #handle(events: VadEvent[]) {
    for (const e of events) {
      if (e.type === 'start') {
        this.#current = { id: this.#nextId++, start: e.start, stable: [], lastPass: null, tentative: [], passedAt: e.start, language: null };
      } else if (e.type === 'end' || e.type === 'discard') {
        const u = this.#current;
        this.#current = null;
        if (u && this.#decoding) this.#cancelPassOf = u.id; // the final starts within one decoder step
        if (u && e.type === 'end') {
          const speechFrame = Math.max(e.start, e.end - 1 - this.#segmenter.options.postRollFrames);
          this.#finals.push({
            utterance: u,
            audio: this.#audio(e.start, e.end),
            end: e.end,
            speechArrivedAt: this.#arrivals[speechFrame - this.#firstFrame] ?? performance.now(),
          });
          this.#stats.utterances++;
        }
      }
    }
    // Keep only what a later utterance can still need: its start, or the pre-roll.
    const keepFrom = this.#current ? this.#current.start : this.#segmenter.frame - this.#segmenter.options.preRollFrames;
    if (keepFrom > this.#firstFrame) {
      const drop = Math.min(keepFrom - this.#firstFrame, this.#frames.length);
      this.#frames.splice(0, drop);
      this.#arrivals.splice(0, drop);
      this.#firstFrame += drop;
    }
    if (events.length) this.#emit();
  }

  #audio(start: number, end: number): Float32Array {
    const from = Math.max(0, start - this.#firstFrame);
    const to = Math.max(from, Math.min(this.#frames.length, end - this.#firstFrame));
    const out = new Float32Array((to - from) * VAD_FRAME_SAMPLES);
    for (let f = from; f < to; f++) out.set(this.#frames[f], (f - from) * VAD_FRAME_SAMPLES);
    return out;
  }

  #prompt(): number[] {
    const room = MAX_PROMPT_TOKENS - this.#userPrompt.length;
    return [...this.#userPrompt, ...(room > 0 && this.#options.context ? this.#history.slice(-room) : [])];
  }

  /** One decode at a time: finals first (in order), else a pass on the growing utterance. */
  #schedule() {
    if (this.#decoding || this.#error) {
      if (!this.#decoding) this.#notifyIdle();
      return;
    }
    const final = this.#finals.shift();
    if (final) {
      void this.#run(() => this.#final(final));
      return;
    }
    const u = this.#current;
    if (u && !this.#stopped && this.#segmenter.frame - u.passedAt >= PASS_EVERY_FRAMES) {
      void this.#run(() => this.#pass(u));
      return;
    }
    this.#notifyIdle();
  }

  async #run(job: () => Promise<void>) {
    this.#decoding = true;
    const t0 = performance.now();
    try {
      await job();
    } catch (err) {
      this.#error = err as Error;
    } finally {
      this.#stats.decodeSeconds += (performance.now() - t0) / 1000;
      this.#decoding = false;
    }
    this.#schedule();
  }

  async #pass(u: Utterance) {
    u.passedAt = this.#segmenter.frame;
    const audio = this.#audio(u.start, this.#segmenter.frame);
    const r = await this.#engine.decodeUtterance(audio, {
      language: u.language ?? this.#options.language,
      task: this.#options.task,
      promptIds: this.#prompt(),
      forcedIds: u.stable,
      isCancelled: () => this.#cancelPassOf === u.id,
    });
    if (r.cancelled || this.#current !== u) {
      this.#stats.cancelledPasses++;
      return;
    }
    this.#stats.passes++;
    if (u.lastPass) {
      const k = agreedLength(u.lastPass, r.ids, (ids) => this.#engine.decode(ids));
      if (k > u.stable.length) u.stable = r.ids.slice(0, k);
    }
    // The language is settled with the first settled words.
    if (u.stable.length && !u.language) u.language = r.language;
    u.lastPass = r.ids;
    u.tentative = r.ids.slice(u.stable.length);
    this.#emit();
  }

  async #final(f: PendingFinal) {
    const u = f.utterance;
    const r = await this.#engine.decodeUtterance(f.audio, {
      language: u.language ?? this.#options.language,
      task: this.#options.task,
      promptIds: this.#prompt(),
      forcedIds: u.stable,
      isCancelled: () => false,
    });
    this.#stats.finalPasses++;
    const text = this.#engine.decode(r.ids);
    if (text.trim()) {
      this.#segments.push({ start: u.start * FRAME_S, end: f.end * FRAME_S, text });
      this.#history.push(...r.ids);
      if (this.#history.length > MAX_PROMPT_TOKENS) this.#history = this.#history.slice(-MAX_PROMPT_TOKENS);
    }
    this.#stats.latencies.push((performance.now() - f.speechArrivedAt) / 1000);
    this.#emit(text.trim() ? [this.#segments[this.#segments.length - 1]] : []);
  }

  #emit(finals: Segment[] = []) {
    const u = this.#current;
    const update: LiveUpdate = {
      finals,
      live: u
        ? { start: u.start * FRAME_S, stable: this.#engine.decode(u.stable), tentative: this.#engine.decode(u.tentative) }
        : null,
      seconds: this.seconds,
    };
    this.#onUpdate(update);
  }

  #notifyIdle() {
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  #idle(): Promise<void> {
    if (!this.#decoding && !this.#draining && this.#finals.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Pause: the utterance in progress ends here and is finalised; nothing is captured until resume. */
  pause() {
    this.#paused = true;
    this.#handle(this.#segmenter.flush());
    this.#vad.reset();
    this.#schedule();
  }

  resume() {
    this.#paused = false;
  }

  /** Stop: take the worklet's last frames (or give up waiting), finalise, return everything. */
  async stop(): Promise<LiveResult> {
    await Promise.race([this.#ended, new Promise((r) => setTimeout(r, END_TIMEOUT_MS))]);
    this.#stopped = true; // anything later is not part of the session
    while (this.#draining || this.#queue.length) await (this.#draining ? new Promise((r) => setTimeout(r, 5)) : this.#drain());
    this.#handle(this.#segmenter.flush());
    this.#schedule();
    await this.#idle();
    this.#port.close();
    this.#stats.vadSeconds = this.#vad.runSeconds - this.#vadSecondsAtStart;
    const recording = await this.#recording.finish();
    if (this.#error) throw this.#error;
    return { segments: [...this.#segments], recording, seconds: this.seconds, stats: this.#stats, storedOn: this.#recording.kind };
  }
}
