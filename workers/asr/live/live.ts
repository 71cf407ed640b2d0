/**
 * Live transcription in the ASR worker: 16 kHz frames from the capture worklet → recording +
 * Silero VAD → utterances → re-decoded about once a second (stable/tentative by LocalAgreement-2)
 * → a final pass when the utterance ends. See docs/architecture.md, "microphone → live text".
 */
import type { Tensor } from '@huggingface/transformers';
import { WHISPER_SAMPLE_RATE_HZ } from '../../../src/domain/audio/constants';
import { VAD_FRAME_SAMPLES, VadSegmenter, type VadEvent } from '../../../src/domain/audio/vad-segmenter';
import { agreedLength } from '../../../src/domain/transcript/agreement';
import type { Segment } from '../../../src/domain/transcript/types';
import type { WhisperEngine } from '../whisper/engine';
import { MAX_PROMPT_TOKENS } from '../whisper/limits';
import type { LiveOptions, LiveResult, LiveStats, LiveUpdate } from '../protocol';
import { finalSegment } from './final-segment';
import { FinalsInOrder, type Final } from './finals-in-order';
import { FrameBuffer } from './frame-buffer';
import type { Recording } from './recording';
import type { SileroVad } from '../runtime/vad';
import type { Diarizer } from '../diarization/diarize';
import { OnlineSpeakers } from '../../../src/domain/diarization/online';

/** Re-decode the growing utterance once this much new audio has come (~1 s)… */
const PASS_EVERY_FRAMES = Math.round(WHISPER_SAMPLE_RATE_HZ / VAD_FRAME_SAMPLES);
/**
 * …or, where a pass takes longer than that, once 1.5 passes' worth: then the decoder is idle
 * for part of every cycle, so the pass at the end of speech seldom waits for one in flight.
 */
const PASS_SPACING = 1.5;
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
  /** The last finished pass: the audio it saw ended at frame `upTo`. */
  covered: Decoded | null;
  /** Set when the VAD has ended the utterance. */
  ended: { end: number; speechArrivedAt: number; finalFromPass: boolean; at: number; decodeAt?: number } | null;
  /**
   * Its audio, kept when it ended: the frames are dropped soon after, before its final text is
   * scored (word edges from the signal) and its speaker embedded.
   */
  audio?: Float32Array;
}

/** A decode of the utterance's audio from its start to frame `upTo` (its encoder output kept for scoring). */
interface Decoded {
  upTo: number;
  /** When its decode began (performance.now()). */
  began: number;
  ids: number[];
  language: string;
  encoderOutputs: Tensor;
}

interface PendingFinal {
  utterance: Utterance;
  audio: Float32Array;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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

  /** Incoming audio not yet through the VAD, and the remainder of a partial frame. */
  #queue: { samples: Float32Array; at: number }[] = [];
  #carry = new Float32Array(0);
  #draining = false;
  /** Recent frames: from the current utterance's start (or the pre-roll) to now. */
  readonly #frames = new FrameBuffer();
  /**
   * The session's audio clock: sample n was captured by `#clockOrigin + n / 16` ms (performance.now()).
   * Latency is measured from it, not from when a frame's message was handled: while the encoder runs
   * (about a second, one WASM call) frames queue in the port and are handled late, and timing
   * from their handling would hide that wait. The capture worklet posts every 32 ms, so the frames
   * handled at once (worker idle) set it: the smallest `handled − n / 16` seen. Reset on resume:
   * paused audio is not in the recording.
   */
  #clockOrigin = Infinity;

  #current: Utterance | null = null;
  /** Ended utterances that need a decode of their exact audio. */
  #finals: PendingFinal[] = [];
  /** Finals are shown in the order spoken; the session's language is the one spoken most. */
  readonly #shown = new FinalsInOrder();
  #nextId = 1;
  #decoding = false;
  #inFlight: { pass: number; utterance: Utterance; upTo: number } | null = null;
  #passes = 0;
  #cancelPass = 0;
  /** Duration of the last pass, in frames of audio time. */
  #passFrames = 0;
  #paused = false;
  #stopped = false;
  #ended: Promise<void>;
  #resolveEnded!: () => void;
  #idleWaiters: (() => void)[] = [];
  #error: Error | null = null;
  /** performance.now() at the session's start: the timeline's zero. */
  readonly #t0 = performance.now();

  /** Speaker labels per utterance (null: off). */
  readonly #embedder: Pick<Diarizer, 'embedAudio'> | null;
  readonly #speakers = new OnlineSpeakers();
  readonly #stats: LiveStats = { utterances: 0, passes: 0, finalPasses: 0, finalsFromPasses: 0, cancelledPasses: 0, latencies: [], finalParts: [], passParts: [], timeline: [], passSeconds: [], vadSeconds: 0, decodeSeconds: 0, draftTokens: 0, draftAccepted: 0, decoderSteps: 0 };

  constructor(
    engine: WhisperEngine,
    vad: SileroVad,
    port: MessagePort,
    recording: Recording,
    options: LiveOptions,
    onUpdate: (u: LiveUpdate) => void,
    speakers: Pick<Diarizer, 'embedAudio'> | null = null,
  ) {
    this.#embedder = speakers;
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
        this.#queue.push({ samples: e.data.samples, at: performance.now() });
        void this.#drain();
      } else if (e.data.type === 'end') {
        this.#resolveEnded();
      }
    };
  }

  get seconds() {
    return this.#recording.samples / WHISPER_SAMPLE_RATE_HZ;
  }

  /** Run VAD over queued audio, all queued frames at once, in order; then see whether to decode. */
  async #drain() {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length) {
        const chunks = this.#queue.splice(0);
        const frames: Float32Array[] = [];
        for (const chunk of chunks) {
          this.#recording.append(chunk.samples);
          this.#clockOrigin = Math.min(this.#clockOrigin, chunk.at - (this.#recording.samples / WHISPER_SAMPLE_RATE_HZ) * 1000);
          const audio = this.#carry.length ? concat(this.#carry, chunk.samples) : chunk.samples;
          let at = 0;
          for (; at + VAD_FRAME_SAMPLES <= audio.length; at += VAD_FRAME_SAMPLES) {
            frames.push(audio.slice(at, at + VAD_FRAME_SAMPLES));
          }
          this.#carry = audio.slice(at);
        }
        const probabilities = await this.#vad.probabilities(frames);
        frames.forEach((frame, i) => {
          this.#frames.push(frame);
          this.#handle(this.#segmenter.push(probabilities[i]));
          this.#onTrailingSilence();
        });
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
        this.#current = { id: this.#nextId++, start: e.start, stable: [], lastPass: null, tentative: [], passedAt: e.start, language: null, covered: null, ended: null };
      } else if (this.#current) {
        const u = this.#current;
        this.#current = null;
        if (e.type === 'discard') {
          if (this.#inFlight?.utterance === u) this.#cancelPass = this.#inFlight.pass;
          this.#show(u.id, null);
        } else {
          this.#stats.utterances++;
          this.#end(u, e);
        }
      }
    }
    // Keep only what a later utterance can still need: its start, or the pre-roll.
    this.#frames.dropBefore(this.#current ? this.#current.start : this.#segmenter.frame - this.#segmenter.options.preRollFrames);
    if (events.length) this.#emit();
  }

  /**
   * The silence after speech has lasted the post-roll: the pass that may become the final is due
   * (see #schedule), and a pass in flight on audio that ends before the speech did would only
   * delay it, so it is cancelled. Not at the first quiet frame: every pause between words is one,
   * and passes cancelled there seldom leave two finished ones in a row for LocalAgreement.
   */
  #onTrailingSilence() {
    const u = this.#current;
    const f = this.#inFlight;
    if (u && f && f.utterance === u && this.#segmenter.silenceRun === this.#segmenter.options.postRollFrames && f.upTo < this.#segmenter.speechEnd) this.#cancelPass = f.pass;
  }

  /**
   * The VAD ended an utterance. A pass that already heard all of it (speech and post-roll: it
   * ran during the trailing silence, see #schedule) gives the final text with no further decoding; otherwise the
   * utterance's exact audio is decoded once more. A forced cut always decodes: a pass may have
   * heard the start of the next utterance.
   */
  #end(u: Utterance, e: Extract<VadEvent, { type: 'end' }>) {
    const now = performance.now();
    u.ended = { end: e.end, speechArrivedAt: Math.min(now, this.#clockOrigin + e.speechEnd * FRAME_S * 1000), finalFromPass: false, at: now };
    this.#mark('speech end', u.ended.speechArrivedAt, u.ended.speechArrivedAt);
    this.#mark('vad end', now, now);
    u.audio = this.#audio(e.start, e.end);
    const inFlight = this.#inFlight?.utterance === u ? this.#inFlight : null;
    if (!e.forced && u.covered && u.covered.upTo >= e.end) {
      this.#stats.finalsFromPasses++;
      void this.#finish(u, u.covered);
    } else if (!e.forced && inFlight && inFlight.upTo >= e.end) {
      u.ended.finalFromPass = true; // that pass finishes it
    } else {
      if (inFlight) this.#cancelPass = inFlight.pass; // the final starts within one decoder step
      this.#finals.push({ utterance: u, audio: this.#audio(e.start, e.end) });
    }
  }

  /** Put `job` on the timeline (LiveStats.timeline). */
  async #timed<T>(what: LiveStats['timeline'][number]['what'], job: () => Promise<T>, cancelled?: (r: T) => boolean): Promise<T> {
    const start = performance.now();
    const r = await job();
    this.#mark(cancelled?.(r) ? 'cancelled pass' : what, start, performance.now());
    return r;
  }

  #mark(what: LiveStats['timeline'][number]['what'], start: number, end: number) {
    this.#stats.timeline.push({ what, start: Math.round(start - this.#t0) / 1000, end: Math.round(end - this.#t0) / 1000 });
  }

  #audio(start: number, end: number): Float32Array {
    return this.#frames.audio(start, end);
  }

  #prompt(): number[] {
    const room = MAX_PROMPT_TOKENS - this.#userPrompt.length;
    return [...this.#userPrompt, ...(room > 0 && this.#options.context ? this.#shown.history.slice(-room) : [])];
  }

  /**
   * One decode at a time: finals first (in order), else a pass on the growing utterance — once
   * a second of new audio has come, and at once when silence begins after speech no pass has
   * heard yet (that pass usually becomes the final: the end-of-utterance wait hides its cost).
   */
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
    if (u && !this.#stopped) {
      const due = this.#segmenter.frame - u.passedAt >= Math.max(PASS_EVERY_FRAMES, PASS_SPACING * this.#passFrames);
      // The pass that may become final hears the speech and the post-roll after it, as a final would.
      const tail = this.#segmenter.options.postRollFrames;
      const unheardSpeech = this.#segmenter.silenceRun >= tail && (u.covered?.upTo ?? -1) < this.#segmenter.speechEnd + tail;
      if (due || unheardSpeech) {
        void this.#run(() => this.#pass(u, unheardSpeech));
        return;
      }
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

  /**
   * A pass over the utterance so far. `likelyFinal`: begun in the silence after speech, it hears
   * what a final would and usually becomes it, so it is decoded as one (step model, the last pass's
   * words as a draft): a final's wait is this pass, not a slower generate() over the same audio.
   */
  async #pass(u: Utterance, likelyFinal: boolean) {
    const upTo = this.#segmenter.frame;
    const pass = ++this.#passes;
    u.passedAt = upTo;
    this.#inFlight = { pass, utterance: u, upTo };
    const t0 = performance.now();
    const s0 = this.#engine.sessionSnapshot();
    let r: Awaited<ReturnType<WhisperEngine['decodeUtterance']>>;
    try {
      r = await this.#timed(likelyFinal ? 'likely-final pass' : 'pass', () => this.#decode(u, this.#audio(u.start, upTo), () => this.#cancelPass === pass, likelyFinal), (r) => r.cancelled);
    } finally {
      this.#inFlight = null;
    }
    if (r.cancelled) {
      this.#stats.cancelledPasses++;
      return;
    }
    const seconds = (performance.now() - t0) / 1000;
    this.#passFrames = seconds / FRAME_S;
    this.#stats.passSeconds.push(seconds);
    const s1 = this.#engine.sessionSnapshot();
    this.#stats.passParts.push({
      likelyFinal,
      seconds,
      audio: (upTo - u.start) * FRAME_S,
      encoder: s1.encoder.seconds - s0.encoder.seconds,
      decoder: s1.decoder.seconds - s0.decoder.seconds,
      step: s1.step.seconds - s0.step.seconds,
      decoderRuns: s1.decoder.runs - s0.decoder.runs,
      ort: s1.all - s0.all,
    });
    this.#stats.passes++;
    u.covered = { upTo, began: t0, ids: r.ids, language: r.language, encoderOutputs: r.encoderOutputs };
    if (u.ended) {
      if (u.ended.finalFromPass) {
        this.#stats.finalsFromPasses++;
        await this.#finish(u, u.covered);
      }
      return;
    }
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

  /**
   * Decode the utterance's audio so far, its settled words forced. A final also gets what the last
   * pass said after them as a draft (checked in one pass on the step model: a final whose words
   * the passes already had costs about one decoder pass, not one per token). Passes stay on
   * generate(): on the step model the whisper-tiny.en live test saw text settle before the end in
   * at most 1 utterance of 9 (with the cancel at the first quiet frame, and with it only after the
   * post-roll of silence), against 1–6 of 9 on generate(), which never honours a cancel
   * (transformers.js 3.8's Whisper generate() drops `stopping_criteria`): cancelled or cut short,
   * passes seldom leave two finished ones in a row for LocalAgreement. See docs/performance.md.
   */
  async #decode(u: Utterance, audio: Float32Array, isCancelled: () => boolean, final: boolean) {
    const said = u.covered?.ids ?? u.lastPass ?? [];
    const draft = !final ? undefined : u.stable.every((id, i) => said[i] === id) ? said.slice(u.stable.length) : [];
    const r = await this.#engine.decodeUtterance(audio, {
      language: u.language ?? this.#options.language,
      task: this.#options.task,
      promptIds: this.#prompt(),
      forcedIds: u.stable,
      draft,
      isCancelled,
      final,
    });
    this.#stats.draftTokens += draft?.length ?? 0;
    this.#stats.draftAccepted += r.draftAccepted;
    this.#stats.decoderSteps += r.steps;
    return r;
  }

  async #final(f: PendingFinal) {
    const u = f.utterance;
    const began = performance.now();
    u.ended!.decodeAt = began;
    const r = await this.#timed('final decode', () => this.#decode(u, f.audio, () => false, true));
    this.#stats.finalPasses++;
    await this.#finish(u, { upTo: u.start + f.audio.length / VAD_FRAME_SAMPLES, began, ids: r.ids, language: r.language, encoderOutputs: r.encoderOutputs });
  }

  /**
   * The utterance's final text, with the figures and word timings a file's segments carry (one
   * alignment pass over the encoder output the text came from; times on the session clock).
   */
  async #finish(u: Utterance, d: Decoded) {
    const decoded = performance.now();
    const heard = (d.upTo - u.start) * VAD_FRAME_SAMPLES;
    const audio = u.audio ? u.audio.subarray(0, heard) : this.#audio(u.start, d.upTo);
    const speakers = this.#embedder ? { embedder: this.#embedder, online: this.#speakers } : null;
    const segment = await finalSegment(this.#engine, this.#options.task, { ...d, start: u.start * FRAME_S, end: u.ended!.end * FRAME_S, audio, speech: u.audio }, speakers);
    const final: Final | null = segment ? { segment, ids: d.ids, language: d.language } : null;
    const e = u.ended!;
    const now = performance.now();
    this.#mark('score', decoded, now);
    this.#stats.latencies.push((now - e.speechArrivedAt) / 1000);
    const decodeAt = e.decodeAt ?? e.at;
    this.#stats.finalParts.push({ vad: (e.at - e.speechArrivedAt) / 1000, wait: (decodeAt - e.at) / 1000, decode: (decoded - decodeAt) / 1000, score: (now - decoded) / 1000, fromPass: e.decodeAt === undefined, began: (d.began - e.speechArrivedAt) / 1000 });
    this.#show(u.id, final);
  }

  /** Record a final result (null: nothing said) and send all that are next in order. */
  #show(id: number, final: Final | null) {
    const shown = this.#shown.add(id, final);
    if (shown.length) this.#emit(shown);
  }

  #emit(finals: Segment[] = []) {
    const u = this.#current;
    const update: LiveUpdate = {
      finals,
      live: u
        ? { start: u.start * FRAME_S, stable: this.#engine.decode(u.stable), tentative: this.#engine.decode(u.tentative) }
        : null,
      seconds: this.seconds,
      language: this.#shown.language(),
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
    this.#clockOrigin = Infinity;
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
    return { finals: this.#shown.count, language: this.#shown.language(), recording, seconds: this.seconds, stats: this.#stats, storedOn: this.#recording.kind };
  }
}
