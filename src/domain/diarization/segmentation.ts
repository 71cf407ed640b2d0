/**
 * pyannote segmentation 3.0 around the model: sliding 10 s windows, its powerset output turned into
 * per-local-speaker activity, and where each model frame falls in the file.
 *
 * The model gives, per window, 589 frames (step 270 samples, receptive field 991 samples) of
 * log-probabilities over 7 classes: {none, s1, s2, s3, s1+s2, s1+s3, s2+s3}. The most likely class
 * says which of up to three local speakers talk in that frame — overlap included, which is what
 * recovers overlapped speech that embedding-only pipelines miss.
 */

export const SAMPLE_RATE = 16_000;
export const WINDOW_SAMPLES = 160_000;
export const FRAMES_PER_WINDOW = 589;
export const FRAME_STEP_SAMPLES = 270;
export const FRAME_SPAN_SAMPLES = 991;
export const LOCAL_SPEAKERS = 3;
const CLASSES = 7;
/** Which local speakers each powerset class holds. */
const POWERSET: readonly (readonly number[])[] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2]];

/**
 * Window starts (samples) every `step`, the last aligned to the end so the tail gets a full window
 * (rounded down to a multiple of `align` samples: the 10 ms feature grid, so windows share features).
 */
export function windowStarts(totalSamples: number, step: number, window = WINDOW_SAMPLES, align = 1): number[] {
  if (totalSamples <= window) return [0];
  const starts: number[] = [];
  for (let s = 0; s + window < totalSamples; s += step) starts.push(s);
  const last = Math.floor((totalSamples - window) / align) * align;
  if (starts[starts.length - 1] < last) starts.push(last);
  return starts;
}

/**
 * One window's output `[frames × 7]` (log-probabilities) → activity `[speaker][frame]` (0/1), by
 * the most likely class per frame, as pyannote's `Powerset.to_multilabel` does. (Summing the
 * classes that hold a speaker and taking a lower threshold was tried for quiet AMI speech: more
 * false alarm than recovered speech.)
 */
export function powersetActivity(logits: Float32Array, frames = FRAMES_PER_WINDOW): Uint8Array[] {
  const activity = Array.from({ length: LOCAL_SPEAKERS }, () => new Uint8Array(frames));
  for (let f = 0; f < frames; f++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (logits[f * CLASSES + c] > logits[f * CLASSES + best]) best = c;
    for (const k of POWERSET[best]) activity[k][f] = 1;
  }
  return activity;
}

/** Centre of model frame `f` of a window starting at `windowStart` samples, in seconds. */
export function frameCentre(windowStart: number, f: number): number {
  return (windowStart + f * FRAME_STEP_SAMPLES + FRAME_SPAN_SAMPLES / 2) / SAMPLE_RATE;
}

/**
 * The 10 ms feature frames (fbank: 400-sample frames every 160) of a window where local speaker
 * `k` speaks alone: the frames an embedding of that speaker is computed on. Overlapped frames are
 * left out (a mixed embedding matches nobody). Returns feature-frame indices relative to the window.
 */
export function exclusiveFeatureFrames(activity: readonly Uint8Array[], k: number, featureFrames: number, from = 0, to = Infinity): number[] {
  const out: number[] = [];
  // Feature frame i is centred on sample 160·i + 200, model frame f on 270·f + 495.5.
  const first = Math.max(0, Math.floor((from * FRAME_STEP_SAMPLES + FRAME_SPAN_SAMPLES / 2 - 200) / 160) - 2);
  const last = Math.min(featureFrames, Math.ceil((Math.min(to, activity[k].length) * FRAME_STEP_SAMPLES + FRAME_SPAN_SAMPLES / 2 - 200) / 160) + 2);
  for (let i = first; i < last; i++) {
    const centre = i * 160 + 200;
    const f = Math.min(activity[k].length - 1, Math.max(0, Math.round((centre - FRAME_SPAN_SAMPLES / 2) / FRAME_STEP_SAMPLES)));
    if (f < from || f >= to || !activity[k][f]) continue;
    let alone = true;
    for (let j = 0; j < activity.length; j++) if (j !== k && activity[j][f]) alone = false;
    if (alone) out.push(i);
  }
  return out;
}

/**
 * Runs of one local speaker's activity, split where they pause for `minPause` frames or more:
 * `[from, to)` frame ranges.
 */
export function tracksOf(activity: Uint8Array, minPause: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let from = -1;
  let lastOn = -Infinity;
  for (let f = 0; f <= activity.length; f++) {
    const on = f < activity.length && activity[f] === 1;
    if (!on) continue;
    if (from >= 0 && f - lastOn - 1 >= minPause) {
      out.push({ from, to: lastOn + 1 });
      from = -1;
    }
    if (from < 0) from = f;
    lastOn = f;
  }
  if (from >= 0) out.push({ from, to: lastOn + 1 });
  return out;
}

/** Indices of `tracks` grouped so that tracks overlapping in time (through any chain) share a group. */
export function overlapGroups(tracks: readonly { speaker: number; from: number; to: number }[]): number[][] {
  const order = tracks.map((_, i) => i).sort((a, b) => tracks[a].from - tracks[b].from);
  const groups: number[][] = [];
  let end = -Infinity;
  for (const i of order) {
    if (tracks[i].from < end) groups[groups.length - 1].push(i);
    else groups.push([i]);
    end = Math.max(end, tracks[i].to);
  }
  return groups;
}
