/**
 * Speaker diarization: pyannote segmentation 3.0 on sliding 10 s windows → local speakers per
 * window, a CAM++ embedding for each local speaker (Kaldi fbank features, computed with
 * transformers.js's audio utilities) → clustering into speakers that hold across the file →
 * turns, overlap kept. The runtime is passed in (onnxruntime-web in the worker,
 * onnxruntime-node in tests), so both run this exact code. Pure steps live in
 * `src/domain/diarization/`.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { exclusiveFeatureFrames, LOCAL_SPEAKERS, powersetActivity, SAMPLE_RATE, tracksOf, WINDOW_SAMPLES, windowStarts } from '../../../src/domain/diarization/segmentation';
import { labelSpeakers, type LocalStretch } from '../../../src/domain/diarization/speakers';
import { coveredSeconds, reconstruct, renumber, tidy, type LabelledWindow, type Track } from '../../../src/domain/diarization/turns';
import { fillFromSpeech, loudRegions } from '../../../src/domain/diarization/speech-fill';
import { speechRegions } from '../../../src/domain/audio/speech-regions';
import type { DiarizationResult, SpeakerCount } from '../../../src/domain/diarization/types';
import { withOrtLock } from '../runtime/ort-lock';
import { yieldToEventLoop } from '../runtime/yield';
import type { OrtRuntime } from '../runtime/vad';
import { FEATURE_HOP, FeatureBlocks, KaldiFbank, MEL_BINS, type Fbank } from './features';

export interface DiarizeOptions {
  count?: SpeakerCount;
  /**
   * Seconds between window starts. pyannote's default is 1 s; here 2 s gave the same DER at half
   * the work, and 3 s the same again on files of two minutes and more — but on a short file too
   * few windows hear a speaker who says little, and the small-cluster rule drops them.
   */
  step?: number;
  /** Cosine distance between clusters above which they are different speakers. */
  threshold?: number;
  /** How far either side of the threshold the count is read again to say how sure it is (speakers.ts). */
  margin?: number;
  /** Called after each window's embeddings: windows done, windows in all. */
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
  /**
   * Silero speech probability per 512-sample frame: speech the segmentation model did not hear
   * (quiet far-field talk) is given the nearest turn's speaker (speech-fill.ts).
   */
  speech?: Float32Array;
}

export class DiarizationCancelled extends Error {
  override name = 'Cancelled';
}

/** Speech only Silero heard, this long and this share of what the segmentation heard, may be one more voice. */
const UNHEARD_VOICE_SECONDS = 1;
const UNHEARD_VOICE_SHARE = 0.2;
/** A local speaker needs this much speech (feature frames, 10 ms) alone to train the clustering. */
const CLEAN_FRAMES = 100;
/** …and at least this much (alone or not) to get an embedding at all. */
const MIN_FRAMES = 30;
const BATCH = 8;
/** From this length (seconds) windows step 3 s instead of 2 s. */
const LONG_FILE_SECONDS = 120;
/**
 * A stretch lying this much inside one already embedded takes that embedding (a stretch cut by a
 * window's edge is part of the whole one another window saw). Not the other way round: the first
 * window to see a stretch often sees only its start, too little to say who it is.
 */
const SAME_STRETCH = 0.9;
/** At most this many feature frames (3 s) go into one embedding. */
const MAX_EMBED_FRAMES = 300;
/** A local speaker's pause of this many model frames (≈ 0.25 s) starts a new stretch. */
const TRACK_PAUSE_FRAMES = 15;

export interface DiarizerStats {
  windows: number;
  embeddings: number;
  segmentationSeconds: number;
  embeddingSeconds: number;
  featureSeconds: number;
  clusteringSeconds: number;
  /** Seconds of speech with a turn: from the segmentation model, and added from Silero's speech. */
  heardSeconds: number;
  filledSeconds: number;
  /** …and from the loud stretches no model called speech (laughter). */
  loudSeconds: number;
}

/** How much of frame range `b` lies inside `a` (1: `a` contains it). */
function containment(a: { from: number; to: number }, b: { from: number; to: number }): number {
  const inter = Math.min(a.to, b.to) - Math.max(a.from, b.from);
  return inter <= 0 ? 0 : inter / (b.to - b.from);
}

export class Diarizer {
  readonly #ort: OrtRuntime;
  readonly #segmentation: InferenceSession;
  readonly #embedding: InferenceSession;
  readonly #fbank = new KaldiFbank();
  stats: DiarizerStats = { windows: 0, embeddings: 0, segmentationSeconds: 0, embeddingSeconds: 0, featureSeconds: 0, clusteringSeconds: 0, heardSeconds: 0, filledSeconds: 0, loudSeconds: 0 };

  private constructor(ort: OrtRuntime, segmentation: InferenceSession, embedding: InferenceSession) {
    this.#ort = ort;
    this.#segmentation = segmentation;
    this.#embedding = embedding;
  }

  static async create(ort: OrtRuntime, segmentation: Uint8Array | string, embedding: Uint8Array | string, executionProvider: 'wasm' | 'cpu' = 'wasm', threads?: number): Promise<Diarizer> {
    const options: InferenceSession.SessionOptions = { executionProviders: [executionProvider], ...(threads ? { intraOpNumThreads: threads } : {}) };
    const [seg, emb] = await Promise.all([ort.InferenceSession.create(segmentation, options), ort.InferenceSession.create(embedding, options)]);
    return new Diarizer(ort, seg, emb);
  }

  /** Kaldi fbank of 16 kHz audio `[frames × 80]` (see ../shared/diarization/README.md), before mean subtraction. */
  fbank(audio: Float32Array): Promise<Fbank> {
    return this.#fbank.of(audio);
  }

  /** CAM++ embedding of the given fbank frames (the mean over them is subtracted, as the model was trained). */
  async embed(fbank: Float32Array, frames: readonly number[]): Promise<Float32Array> {
    const n = frames.length;
    const feats = new Float32Array(n * MEL_BINS);
    const mean = new Float64Array(MEL_BINS);
    frames.forEach((f, i) => {
      for (let b = 0; b < MEL_BINS; b++) {
        const v = fbank[f * MEL_BINS + b];
        feats[i * MEL_BINS + b] = v;
        mean[b] += v;
      }
    });
    for (let b = 0; b < MEL_BINS; b++) mean[b] /= n;
    for (let i = 0; i < n; i++) for (let b = 0; b < MEL_BINS; b++) feats[i * MEL_BINS + b] -= mean[b];
    const input = new this.#ort.Tensor('float32', feats, [1, n, MEL_BINS]);
    const t0 = performance.now();
    const out = await withOrtLock(() => this.#embedding.run({ [this.#embedding.inputNames[0]]: input }));
    this.stats.embeddingSeconds += (performance.now() - t0) / 1000;
    this.stats.embeddings++;
    return (out[this.#embedding.outputNames[0]] as Tensor).data as Float32Array;
  }

  /** The embedding of one speaker's audio (a live utterance): its middle 3 s at most. Null when under 0.3 s. */
  async embedAudio(audio: Float32Array): Promise<Float32Array | null> {
    const { data, frames } = await this.fbank(audio);
    if (frames < MIN_FRAMES) return null;
    const from = Math.max(0, (frames - MAX_EMBED_FRAMES) >> 1);
    return this.embed(data, Array.from({ length: Math.min(frames, MAX_EMBED_FRAMES) }, (_, i) => from + i));
  }

  async #segment(audio: Float32Array, starts: readonly number[]): Promise<Uint8Array[][]> {
    const out: Uint8Array[][] = [];
    for (let i = 0; i < starts.length; i += BATCH) {
      const batch = starts.slice(i, i + BATCH);
      const x = new Float32Array(batch.length * WINDOW_SAMPLES);
      batch.forEach((s, b) => x.set(audio.subarray(s, Math.min(audio.length, s + WINDOW_SAMPLES)), b * WINDOW_SAMPLES));
      const input = new this.#ort.Tensor('float32', x, [batch.length, 1, WINDOW_SAMPLES]);
      const t0 = performance.now();
      const result = await withOrtLock(() => this.#segmentation.run({ [this.#segmentation.inputNames[0]]: input }));
      this.stats.segmentationSeconds += (performance.now() - t0) / 1000;
      const y = (result[this.#segmentation.outputNames[0]] as Tensor).data as Float32Array;
      const per = y.length / batch.length;
      batch.forEach((_, b) => out.push(powersetActivity(y.subarray(b * per, (b + 1) * per), per / 7)));
    }
    return out;
  }

  async run(audio: Float32Array, options: DiarizeOptions = {}): Promise<DiarizationResult> {
    const step = Math.round((options.step ?? (audio.length >= LONG_FILE_SECONDS * SAMPLE_RATE ? 3 : 2)) * SAMPLE_RATE);
    const starts = windowStarts(audio.length, step, WINDOW_SAMPLES, FEATURE_HOP);
    const features = new FeatureBlocks(audio, (x) => this.fbank(x));
    this.stats.windows = starts.length;
    const cancelled = () => {
      if (options.isCancelled?.()) throw new DiarizationCancelled('cancelled');
    };

    const locals: LocalStretch[] = [];
    /** Embedded stretches (feature frames of the file) that later windows may share. */
    let recent: { from: number; to: number; clean: boolean; embedding: Float32Array }[] = [];
    const windows: LabelledWindow[] = [];
    for (let i = 0; i < starts.length; i += BATCH) {
      // A turn for the event loop per batch: a cancel lands, the page's watchdog ping is answered.
      await yieldToEventLoop();
      cancelled();
      const chunk = starts.slice(i, i + BATCH);
      const acts = await this.#segment(audio, chunk);
      for (let j = 0; j < chunk.length; j++) {
        const w = i + j;
        const activity = acts[j];
        const tracks: Track[] = [];
        windows.push({ start: chunk[j], activity, tracks });
        if (activity.some((a) => a.includes(1))) {
          const t0 = performance.now();
          const { data, frames } = await features.window(chunk[j]);
          this.stats.featureSeconds += (performance.now() - t0) / 1000;
          const base = chunk[j] / FEATURE_HOP;
          recent = recent.filter((r) => r.to > base);
          for (let k = 0; k < LOCAL_SPEAKERS; k++) {
            for (const { from, to } of tracksOf(activity[k], TRACK_PAUSE_FRAMES)) {
              const track: Track = { speaker: k, from, to, label: -1 };
              tracks.push(track);
              const alone = exclusiveFeatureFrames(activity, k, frames, from, to);
              let use = alone;
              if (alone.length < CLEAN_FRAMES) {
                const all = exclusiveFeatureFrames([activity[k]], 0, frames, from, to);
                if (all.length > alone.length) use = all;
              }
              if (use.length < MIN_FRAMES) continue;
              const clean = alone.length >= CLEAN_FRAMES;
              // With a 2 s step the same stretch of speech appears in up to five windows, mostly
              // as the same frames: its embedding is computed once and shared (CAM++ is most of the
              // time; the segmentation still looks at every window).
              const span = { from: base + use[0], to: base + use[use.length - 1] + 1 };
              let shared = recent.find((r) => r.clean === clean && containment(r, span) >= SAME_STRETCH);
              if (!shared) {
                // A few seconds say who it is as well as ten do, at a third of the cost (CAM++ is linear in frames).
                const middle = use.length > MAX_EMBED_FRAMES ? use.slice((use.length - MAX_EMBED_FRAMES) >> 1, ((use.length - MAX_EMBED_FRAMES) >> 1) + MAX_EMBED_FRAMES) : use;
                shared = { ...span, clean, embedding: await this.embed(data, middle) };
                recent.push(shared);
              }
              locals.push({ window: w, track, embedding: shared.embedding, clean });
            }
          }
        }
        options.onProgress?.(w + 1, starts.length);
      }
    }
    cancelled();

    const t0 = performance.now();
    const { speakers, likely } = labelSpeakers(locals, { threshold: options.threshold, count: options.count, margin: options.margin });
    let result = renumber(reconstruct(windows, audio.length, speakers));
    const heard = coveredSeconds(result.turns);
    let filled = 0;
    if (options.speech) {
      const regions = speechRegions(options.speech, audio.length).map((r) => ({ start: r.start / SAMPLE_RATE, end: r.end / SAMPLE_RATE }));
      result = renumber(tidy(fillFromSpeech(result.turns, regions)));
      filled = Math.max(0, coveredSeconds(result.turns) - heard);
    }
    // Neither model heard anyone: the stretches far louder than the room (laughter, vocal sounds)
    // are offered as one voice, the count left open (0–1), rather than no speaker at all. Only
    // then: beside turns they add mostly noise (on the AMI cuts, 8 s of false alarm in two files).
    let loud = 0;
    if (!result.turns.length) {
      result = renumber(tidy(fillFromSpeech([], loudRegions(audio))));
      loud = coveredSeconds(result.turns);
    }
    Object.assign(this.stats, { heardSeconds: heard, filledSeconds: filled, loudSeconds: loud, clusteringSeconds: (performance.now() - t0) / 1000 });
    if (!likely) return { ...result, likely };
    // A speaker left with no turn is not counted; the range always holds the count shown. Much
    // speech that only Silero heard (given to the nearest speaker) may be a voice the segmentation
    // model never separated: one more person is possible (an AMI cut: 1.6 s filled beside 3.1 s heard,
    // two people speaking, one found), within the user's "at most".
    const n = result.speakers;
    const unheardVoice = filled >= UNHEARD_VOICE_SECONDS && filled >= UNHEARD_VOICE_SHARE * heard ? 1 : 0;
    const max = Math.max(n, Math.min(options.count?.max ?? Infinity, Math.max(likely.max, n) + unheardVoice));
    return { ...result, likely: { min: Math.min(likely.min, n), max } };
  }

  async dispose() {
    await Promise.all([this.#segmentation.release(), this.#embedding.release()]);
  }
}

