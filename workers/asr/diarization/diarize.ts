/**
 * Speaker diarization: pyannote segmentation 3.0 on sliding 10 s windows → local speakers per
 * window, a CAM++ embedding for each local speaker (Kaldi fbank features, computed with
 * transformers.js's audio utilities) → clustering into speakers that hold across the file →
 * turns, overlap kept. The runtime is passed in (onnxruntime-web in the worker,
 * onnxruntime-node in tests), so both run this exact code. Pure steps live in
 * `src/domain/diarization/`.
 */
import { mel_filter_bank, spectrogram, window_function } from '@huggingface/transformers';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { assignWindow, centroids, cluster, cosine } from '../../../src/domain/diarization/clustering';
import { exclusiveFeatureFrames, LOCAL_SPEAKERS, overlapGroups, powersetActivity, SAMPLE_RATE, tracksOf, WINDOW_SAMPLES, windowStarts } from '../../../src/domain/diarization/segmentation';
import { reconstruct, renumber, type LabelledWindow, type Track } from '../../../src/domain/diarization/turns';
import type { DiarizationResult, SpeakerCount } from '../../../src/domain/diarization/types';
import { withOrtLock } from '../runtime/ort-lock';
import { yieldToEventLoop } from '../runtime/yield';
import type { OrtRuntime } from '../runtime/vad';

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
  /** Called after each window's embeddings: windows done, windows in all. */
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
}

export class DiarizationCancelled extends Error {
  override name = 'Cancelled';
}

const MEL_BINS = 80;
const FEATURE_HOP = 160;
const FEATURE_FRAME = 400;
/** A local speaker needs this much speech (feature frames, 10 ms) alone to train the clustering. */
const CLEAN_FRAMES = 100;
/** …and at least this much (alone or not) to get an embedding at all. */
const MIN_FRAMES = 30;
const BATCH = 8;
/** At most this many stretches go into the clustering (its matrix: 16 MB). */
const MAX_TRAINING = 2000;
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
/** Features are computed once per block of this many samples (2 s) and shared by the windows over it. */
const BLOCK_SAMPLES = 32_000;
const BLOCK_FRAMES = BLOCK_SAMPLES / FEATURE_HOP;
/** A local speaker's pause of this many model frames (≈ 0.25 s) starts a new stretch. */
const TRACK_PAUSE_FRAMES = 15;
/** Tuned on the synthetic conversations and the pyannote sample (tests/unit/diarization-der.test.ts). */
export const DEFAULT_THRESHOLD = 0.4;
/**
 * A voice found only in short or overlapped stretches must be heard in this many windows (10 s of
 * its speech, with a 2 s step): single stretches far from everyone are a cough or a mixed embedding
 * as often as a person (seen: 1–3 windows on the synthetic conversations, 5–6 for real AMI voices).
 */
const MIN_OUTLIER_WINDOWS = 5;
/** With an automatic count, a cluster with fewer clean embeddings than this joins its nearest neighbour. */
const MIN_CLUSTER_EMBEDDINGS = 3;

export interface DiarizerStats {
  windows: number;
  embeddings: number;
  segmentationSeconds: number;
  embeddingSeconds: number;
  featureSeconds: number;
  clusteringSeconds: number;
}

/** At most `n` items, evenly spread over the list. */
function evenSample<T>(list: readonly T[], n: number): T[] {
  return list.length <= n ? [...list] : Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/** How much of frame range `b` lies inside `a` (1: `a` contains it). */
function containment(a: { from: number; to: number }, b: { from: number; to: number }): number {
  const inter = Math.min(a.to, b.to) - Math.max(a.from, b.from);
  return inter <= 0 ? 0 : inter / (b.to - b.from);
}

/**
 * Fbank frames are independent of each other (a 25 ms frame every 10 ms), so the features of a
 * window are the file's features over it: computed once per 2 s block instead of once per window
 * (five times over with a 2 s step). Blocks behind the current window are dropped.
 */
class FeatureBlocks {
  readonly #audio: Float32Array;
  readonly #compute: (samples: Float32Array) => Promise<{ data: Float32Array; frames: number }>;
  readonly #blocks = new Map<number, Float32Array>();

  constructor(audio: Float32Array, compute: (samples: Float32Array) => Promise<{ data: Float32Array; frames: number }>) {
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
  async window(start: number): Promise<{ data: Float32Array; frames: number }> {
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

export class Diarizer {
  readonly #ort: OrtRuntime;
  readonly #segmentation: InferenceSession;
  readonly #embedding: InferenceSession;
  readonly #melFilters = mel_filter_bank(257, MEL_BINS, 20, 8000, SAMPLE_RATE, undefined, 'kaldi', true);
  readonly #window = window_function(FEATURE_FRAME, 'povey', { periodic: false });
  stats: DiarizerStats = { windows: 0, embeddings: 0, segmentationSeconds: 0, embeddingSeconds: 0, featureSeconds: 0, clusteringSeconds: 0 };

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
  async fbank(audio: Float32Array): Promise<{ data: Float32Array; frames: number }> {
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

    interface Local {
      window: number;
      track: Track;
      embedding: Float32Array;
      clean: boolean;
    }
    const locals: Local[] = [];
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
    // Each distinct stretch once (windows that share an embedding would weigh it up to five times).
    const unique = [...new Map(locals.map((l) => [l.embedding, l])).values()];
    let training = unique.filter((l) => l.clean);
    if (training.length === 0) training = unique;
    // Clustering holds an n × n distance matrix: past 2 000 stretches (about an hour of talk) an
    // even sample of them forms the speakers, and every stretch is matched to those (as below).
    training = evenSample(training, MAX_TRAINING);
    let labels = cluster(
      training.map((l) => l.embedding),
      { threshold: options.threshold ?? DEFAULT_THRESHOLD, count: options.count },
    );
    let centres = centroids(training.map((l) => l.embedding), labels);
    if (!options.count?.exactly && !options.count?.min) {
      // Clusters of a handful of stretches are noise (a cough, a laugh, a mixed embedding), not a
      // speaker: they join the nearest real one.
      // Size = windows the cluster's stretches were heard in (a stretch shared by five windows counts five times).
      const heard = new Map<Float32Array, number>();
      for (const l of locals) heard.set(l.embedding, (heard.get(l.embedding) ?? 0) + 1);
      const sizes = centres.map((_, c) => training.reduce((n, l, i) => n + (labels[i] === c ? heard.get(l.embedding)! : 0), 0));
      const big = sizes.map((s, c) => (s >= MIN_CLUSTER_EMBEDDINGS ? c : -1)).filter((c) => c >= 0);
      if (big.length > 0 && big.length < centres.length) {
        labels = labels.map((l) => (big.includes(l) ? l : big.reduce((b, c) => (cosine(centres[l], centres[c]) > cosine(centres[l], centres[b]) ? c : b), big[0])));
        const remap = new Map(big.map((c, i) => [c, i]));
        labels = labels.map((l) => remap.get(l)!);
        centres = centroids(training.map((l) => l.embedding), labels);
      }
      // Voices that never speak a whole second alone (backchannels, someone always talked over)
      // are not in the training set: stretches far from every speaker found, heard in enough
      // windows between them, are a speaker too.
      if (!options.count?.max || centres.length < options.count.max) {
        const threshold = options.threshold ?? DEFAULT_THRESHOLD;
        const far = unique.filter((l) => !l.clean && Math.max(...centres.map((c) => cosine(l.embedding, c))) < 1 - threshold);
        const outliers = evenSample(far, MAX_TRAINING);
        if (outliers.length) {
          const extra = cluster(outliers.map((l) => l.embedding), { threshold });
          const extraCentres = centroids(outliers.map((l) => l.embedding), extra);
          extraCentres.forEach((c, k) => {
            const size = outliers.reduce((n, l, i) => n + (extra[i] === k ? heard.get(l.embedding)! : 0), 0);
            if (size >= MIN_OUTLIER_WINDOWS && (!options.count?.max || centres.length < options.count.max)) centres.push(c);
          });
        }
      }
    }
    // Stretches heard at the same time in one window are different voices: match each group of
    // overlapping stretches jointly, the rest each to its nearest cluster.
    const byWindow = new Map<number, Local[]>();
    for (const l of locals) byWindow.set(l.window, [...(byWindow.get(l.window) ?? []), l]);
    for (const list of byWindow.values()) {
      for (const group of overlapGroups(list.map((l) => l.track))) {
        const members = group.map((g) => list[g]);
        const assigned = assignWindow(members.map((l) => centres.map((c) => cosine(l.embedding, c))));
        members.forEach((l, i) => (l.track.label = assigned[i]));
      }
    }
    const result = renumber(reconstruct(windows, audio.length, centres.length));
    this.stats.clusteringSeconds = (performance.now() - t0) / 1000;
    return result;
  }

  async dispose() {
    await Promise.all([this.#segmentation.release(), this.#embedding.release()]);
  }
}

