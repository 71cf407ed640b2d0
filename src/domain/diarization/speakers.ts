/**
 * From the local speakers of every window to the speakers of the file: the embeddings of the
 * stretches each spoke alone for long enough are clustered; clusters of a handful of stretches
 * join their nearest neighbour; voices never heard alone for long (backchannels, people always
 * talked over) are added from stretches far from every speaker found; then the stretches heard
 * at once in one window are matched jointly to different speakers, the rest each to its nearest;
 * a voice heard only over the speakers found, in enough windows, is one more.
 */
import { assignWindow, centroids, cluster, cosine, countAt, cut, dendrogram } from './clustering';
import { FRAME_STEP_SAMPLES, overlapGroups, SAMPLE_RATE } from './segmentation';
import type { Track } from './turns';
import type { LikelyCount, SpeakerCount } from './types';

/** Tuned on the synthetic conversations and the pyannote sample (tests/unit/diarization-der.test.ts). */
export const DEFAULT_THRESHOLD = 0.4;
/** At most this many stretches go into the clustering (its matrix: 16 MB). */
const MAX_TRAINING = 2000;
/**
 * A voice found only in short or overlapped stretches must be heard in this many windows (10 s of
 * its speech, with a 2 s step): single stretches far from everyone are a cough or a mixed embedding
 * as often as a person (seen: 1–3 windows on the synthetic conversations, 5–6 for real AMI voices).
 */
const MIN_OUTLIER_WINDOWS = 5;
/** With an automatic count, a cluster with fewer clean embeddings than this joins its nearest neighbour. */
const MIN_CLUSTER_EMBEDDINGS = 3;
/**
 * ...and so does a cluster of one stretch shorter than this (seconds): an embedding of a second
 * of speech is noisy, and one such stretch apart from everyone is more often a voice's odd moment
 * than another person (a synthetic four-voice conversation: JFK's 1.1 s "…" heard in 4 windows
 * became a fifth speaker with the full-precision segmentation model).
 */
const MIN_SINGLE_STRETCH_SECONDS = 2;
/** A stretch this much of which another voice speaks over is not that voice. */
const OVER_SHARE = 0.5;
/**
 * The automatic count is read again with the threshold this much lower and higher: where that
 * changes it, the voices sit near the line between "one person" and "two", and the UI says the
 * count is unsure. Calibrated on tests/unit/diarization-der.test.ts (the synthetic conversations
 * and the sample come out sure and right; see docs/architecture.md).
 */
export const COUNT_MARGIN = 0.05;

/** One local speaker's stretch in one window, with its voice. */
export interface LocalStretch {
  window: number;
  /** Its track in the window; `label` is set here to the file-wide speaker. */
  track: Track;
  /** Shared (the same object) by the windows that heard the same stretch. */
  embedding: Float32Array;
  /** Spoken alone long enough to train the clustering. */
  clean: boolean;
}

/** At most `n` items, evenly spread over the list. */
function evenSample<T>(list: readonly T[], n: number): T[] {
  return list.length <= n ? [...list] : Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/**
 * Label every stretch's track with a file-wide speaker; returns how many speakers there are and,
 * when the count was not fixed by the user, the range of counts the data allow (`likely`).
 */
export function labelSpeakers(locals: readonly LocalStretch[], options: { threshold?: number; count?: SpeakerCount; margin?: number } = {}): { speakers: number; likely: LikelyCount | null } {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const margin = options.margin ?? COUNT_MARGIN;
  const count = options.count;
  // Each distinct stretch once (windows that share an embedding would weigh it up to five times).
  const unique = [...new Map(locals.map((l) => [l.embedding, l])).values()];
  let training = unique.filter((l) => l.clean);
  if (training.length === 0) training = unique;
  // Clustering holds an n × n distance matrix: past 2 000 stretches (about an hour of talk) an
  // even sample of them forms the speakers, and every stretch is matched to those (as below).
  training = evenSample(training, MAX_TRAINING);
  const merges = training.length > 1 ? dendrogram(training.map((l) => l.embedding)) : [];
  let labels = cut(training.length, merges, { threshold, count });
  let centres = centroids(training.map((l) => l.embedding), labels);
  // Size = windows a cluster's stretches were heard in (a stretch shared by five windows counts five times).
  const heard = new Map<Float32Array, number>();
  for (const l of locals) heard.set(l.embedding, (heard.get(l.embedding) ?? 0) + 1);
  let fromClusters = centres.length;
  if (!count?.exactly && !count?.min) {
    // Clusters of a handful of stretches are noise (a cough, a laugh, a mixed embedding), not a
    // speaker: they join the nearest real one.
    const sizes = centres.map((_, c) => training.reduce((n, l, i) => n + (labels[i] === c ? heard.get(l.embedding)! : 0), 0));
    const members = centres.map((_, c) => training.filter((_, i) => labels[i] === c));
    const voice = (c: number) =>
      sizes[c] >= MIN_CLUSTER_EMBEDDINGS && (members[c].length > 1 || (members[c][0].track.to - members[c][0].track.from) * (FRAME_STEP_SAMPLES / SAMPLE_RATE) >= MIN_SINGLE_STRETCH_SECONDS);
    const big = centres.map((_, c) => (voice(c) ? c : -1)).filter((c) => c >= 0);
    if (big.length > 0 && big.length < centres.length) {
      labels = labels.map((l) => (big.includes(l) ? l : big.reduce((b, c) => (cosine(centres[l], centres[c]) > cosine(centres[l], centres[b]) ? c : b), big[0])));
      const remap = new Map(big.map((c, i) => [c, i]));
      labels = labels.map((l) => remap.get(l)!);
      centres = centroids(training.map((l) => l.embedding), labels);
    }
    fromClusters = centres.length;
    // Voices that never speak a whole second alone (backchannels, someone always talked over)
    // are not in the training set: stretches far from every speaker found, heard in enough
    // windows between them, are a speaker too.
    if (!count?.max || centres.length < count.max) {
      const far = unique.filter((l) => !l.clean && Math.max(...centres.map((c) => cosine(l.embedding, c))) < 1 - threshold);
      const outliers = evenSample(far, MAX_TRAINING);
      if (outliers.length) {
        const extra = cluster(outliers.map((l) => l.embedding), { threshold });
        const extraCentres = centroids(outliers.map((l) => l.embedding), extra);
        extraCentres.forEach((c, k) => {
          const size = outliers.reduce((n, l, i) => n + (extra[i] === k ? heard.get(l.embedding)! : 0), 0);
          if (size >= MIN_OUTLIER_WINDOWS && (!count?.max || centres.length < count.max)) centres.push(c);
        });
      }
    }
  }
  // Stretches heard at the same time in one window are different voices: match each group of
  // overlapping stretches jointly, the rest each to its nearest cluster.
  const byWindow = new Map<number, LocalStretch[]>();
  for (const l of locals) byWindow.set(l.window, [...(byWindow.get(l.window) ?? []), l]);
  /** Stretches spoken mostly over a voice that already holds every cluster they could be. */
  const over: LocalStretch[] = [];
  for (const list of byWindow.values()) {
    for (const group of overlapGroups(list.map((l) => l.track))) {
      const members = group.map((g) => list[g]);
      const similarities = members.map((l) => centres.map((c) => cosine(l.embedding, c)));
      const assigned = members.length > centres.length && centres.length > 0 ? assignOver(members, similarities, over) : assignWindow(similarities);
      members.forEach((l, i) => (l.track.label = assigned[i]));
    }
  }
  // A voice heard only over the speakers found (someone always talked over: their stretches mix
  // both voices, so no embedding of theirs stands apart) is one more speaker where the
  // segmentation heard it in enough windows; otherwise those stretches stay with their nearest.
  const overWindows = new Set(over.map((l) => l.window)).size;
  if (overWindows >= MIN_OUTLIER_WINDOWS && !count?.exactly && (!count?.max || centres.length < count.max)) {
    const label = centres.length;
    centres.push(centroids(over.map((l) => l.embedding), over.map(() => 0))[0]);
    for (const l of over) l.track.label = label;
  } else {
    for (const l of over) l.track.label = nearest(centres, l.embedding);
  }
  if (count?.exactly) return { speakers: centres.length, likely: null };
  const weights = training.map((l) => heard.get(l.embedding)!);
  const fewer = countAt(merges, weights, threshold + margin, MIN_CLUSTER_EMBEDDINGS);
  const more = countAt(merges, weights, threshold - margin, MIN_CLUSTER_EMBEDDINGS);
  return { speakers: centres.length, likely: likelyCount(centres.length, fromClusters, count ?? {}, fewer, more) };
}

/**
 * The counts the data allow: the clustering read at the threshold ± the margin (`fewer`, `more`),
 * and voices added from far stretches (found - fromClusters) may each be one person or none;
 * kept within the user's range and always holding the count given.
 */
function likelyCount(found: number, fromClusters: number, range: SpeakerCount, fewer: number, more: number): LikelyCount {
  const added = found - fromClusters;
  let min = Math.min(found, fewer, fromClusters);
  let max = Math.max(found, more + added);
  if (range.min) min = Math.max(min, range.min);
  if (range.max) max = Math.min(max, range.max);
  return { min: Math.min(min, found), max: Math.max(max, found) };
}

function nearest(centres: readonly Float32Array[], embedding: Float32Array): number {
  let best = 0;
  for (let c = 1; c < centres.length; c++) if (cosine(embedding, centres[c]) > cosine(embedding, centres[best])) best = c;
  return best;
}

/** Share of track `a`'s frames that track `b` also covers. */
function overlapShare(a: Track, b: Track): number {
  return Math.max(0, Math.min(a.to, b.to) - Math.max(a.from, b.from)) / Math.max(1, a.to - a.from);
}

/**
 * More stretches at once than clusters: the most certain stretch first, each to its nearest
 * cluster that no stretch it mostly overlaps already holds. A stretch left without one (spoken
 * mostly over the voices that hold them) goes to `over`, labelled -1 for now.
 */
function assignOver(members: readonly LocalStretch[], similarities: readonly (readonly number[])[], over: LocalStretch[]): number[] {
  const assigned = members.map(() => -1);
  const order = members.map((_, i) => i).sort((a, b) => Math.max(...similarities[b]) - Math.max(...similarities[a]));
  for (const i of order) {
    const ranked = similarities[i].map((_, c) => c).sort((a, b) => similarities[i][b] - similarities[i][a]);
    const free = ranked.find((c) => !members.some((m, j) => assigned[j] === c && overlapShare(members[i].track, m.track) >= OVER_SHARE));
    if (free === undefined) over.push(members[i]);
    else assigned[i] = free;
  }
  return assigned;
}
