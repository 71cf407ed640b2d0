/**
 * Linking the local speakers of all windows into speakers that hold across the file:
 * agglomerative clustering (average linkage, cosine distance) of their embeddings, cut by a
 * distance threshold or at the number of speakers the user gave, then each window's local
 * speakers matched to the clusters with the constraint that two voices heard at once in one window
 * are two different speakers (pyannote 3.1's recipe, without its PLDA/VBx stage).
 */
import type { SpeakerCount } from './types';

export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.sqrt(na * nb) || 1);
}

/** One merge of the dendrogram: clusters `a` and `b` (ids of their first members) at `distance`. */
export interface Merge {
  a: number;
  b: number;
  distance: number;
}

/**
 * Average-linkage agglomeration with a nearest-neighbour cache: O(n²) memory, close to O(n²)
 * time in practice (the textbook search is O(n³), which a 1-hour file's ~5 000 embeddings make
 * minutes). Returns the merges in order; `cutAt` turns a prefix of them into labels.
 */
export function dendrogram(embeddings: readonly Float32Array[]): Merge[] {
  const n = embeddings.length;
  const unit = embeddings.map(normalise);
  const d = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      const a = unit[i];
      const b = unit[j];
      for (let k = 0; k < a.length; k++) dot += a[k] * b[k];
      d[i * n + j] = d[j * n + i] = 1 - dot;
    }
  }
  const size = new Float64Array(n).fill(1);
  const alive = new Uint8Array(n).fill(1);
  const nn = new Int32Array(n).fill(-1);
  const nnDist = new Float64Array(n).fill(Infinity);
  const findNn = (i: number) => {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i || !alive[j]) continue;
      const v = d[i * n + j];
      if (v < bestD) {
        bestD = v;
        best = j;
      }
    }
    nn[i] = best;
    nnDist[i] = bestD;
  };
  for (let i = 0; i < n; i++) findNn(i);
  const merges: Merge[] = [];
  for (let left = n; left > 1; left--) {
    let a = -1;
    for (let i = 0; i < n; i++) if (alive[i] && (a < 0 || nnDist[i] < nnDist[a])) a = i;
    const b = nn[a];
    merges.push({ a: Math.min(a, b), b: Math.max(a, b), distance: nnDist[a] });
    const keep = Math.min(a, b);
    const gone = Math.max(a, b);
    alive[gone] = 0;
    for (let j = 0; j < n; j++) {
      if (!alive[j] || j === keep) continue;
      const v = (size[keep] * d[keep * n + j] + size[gone] * d[gone * n + j]) / (size[keep] + size[gone]);
      d[keep * n + j] = d[j * n + keep] = v;
    }
    size[keep] += size[gone];
    for (let j = 0; j < n; j++) {
      if (!alive[j]) continue;
      if (j === keep || nn[j] === keep || nn[j] === gone) findNn(j);
      else if (d[j * n + keep] < nnDist[j]) {
        nn[j] = keep;
        nnDist[j] = d[j * n + keep];
      }
    }
  }
  return merges;
}

/** Labels 0…k-1 (by first member) after applying the first `merges` merges. */
function labelsAfter(n: number, merges: readonly Merge[], count: number): number[] {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let m = 0; m < count; m++) parent[find(merges[m].b)] = find(merges[m].a);
  const ids = new Map<number, number>();
  return parent.map((_, i) => {
    const r = find(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    return ids.get(r)!;
  });
}

export interface ClusterOptions {
  /** Cosine distance above which two clusters are different speakers (automatic count). */
  threshold: number;
  count?: SpeakerCount;
}

/** Cluster labels for the embeddings; the number of clusters follows the threshold, clamped to what the user set. */
export function cluster(embeddings: readonly Float32Array[], options: ClusterOptions): number[] {
  return cut(embeddings.length, embeddings.length > 1 ? dendrogram(embeddings) : [], options);
}

/** `cluster`'s labels from a dendrogram of `n` items already built. */
export function cut(n: number, merges: readonly Merge[], options: ClusterOptions): number[] {
  if (n === 0) return [];
  if (n === 1) return [0];
  let clusters = n - merges.filter((m) => m.distance <= options.threshold).length;
  const { exactly, min, max } = options.count ?? {};
  if (exactly) clusters = exactly;
  else {
    if (max) clusters = Math.min(clusters, max);
    if (min) clusters = Math.max(clusters, min);
  }
  clusters = Math.max(1, Math.min(n, clusters));
  return labelsAfter(n, merges, n - clusters);
}

/**
 * How many clusters weighing at least `minWeight` (their members' weights summed) the dendrogram
 * of `weights.length` items has when cut at `threshold` — at least 1. Read at thresholds on
 * either side of the one used, it says how firmly the data decide the automatic count.
 */
export function countAt(merges: readonly Merge[], weights: readonly number[], threshold: number, minWeight: number): number {
  const parent = weights.map((_, i) => i);
  const weight = [...weights];
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (const m of merges) {
    if (m.distance > threshold) continue;
    const [ra, rb] = [find(m.a), find(m.b)];
    if (ra === rb) continue;
    parent[rb] = ra;
    weight[ra] += weight[rb];
  }
  let count = 0;
  for (let i = 0; i < parent.length; i++) if (find(i) === i && weight[i] >= minWeight) count++;
  return Math.max(1, count);
}

/** Mean unit vector of each cluster (weighted), normalised. */
export function centroids(embeddings: readonly Float32Array[], labels: readonly number[], weights?: readonly number[]): Float32Array[] {
  const k = Math.max(-1, ...labels) + 1;
  const dim = embeddings[0]?.length ?? 0;
  const sums = Array.from({ length: k }, () => new Float32Array(dim));
  embeddings.forEach((e, i) => {
    const u = normalise(e);
    const w = weights?.[i] ?? 1;
    for (let j = 0; j < dim; j++) sums[labels[i]][j] += w * u[j];
  });
  return sums.map(normalise);
}

/**
 * The one-to-one assignment of rows to columns with the highest total score, as a column per row:
 * brute force, for the handful of speakers it is used on. `optional`: a row may stay unassigned
 * (−1) and a zero score is never taken (DER's speaker mapping); otherwise every row gets a
 * column (needs at least as many columns as rows).
 */
export function bestAssignment(scores: readonly (readonly number[])[], optional = false): number[] {
  const rows = scores.length;
  const cols = scores[0]?.length ?? 0;
  let best: number[] = new Array(rows).fill(-1);
  let bestScore = -Infinity;
  const pick: number[] = [];
  const used = new Uint8Array(cols);
  const walk = (i: number, score: number) => {
    if (i === rows) {
      if (score > bestScore) {
        bestScore = score;
        best = [...pick];
      }
      return;
    }
    if (optional) {
      pick.push(-1);
      walk(i + 1, score);
      pick.pop();
    }
    for (let c = 0; c < cols; c++) {
      if (used[c] || (optional && scores[i][c] === 0)) continue;
      used[c] = 1;
      pick.push(c);
      walk(i + 1, score + scores[i][c]);
      pick.pop();
      used[c] = 0;
    }
  };
  walk(0, 0);
  return best;
}

/**
 * Match one window's local speakers (similarities to each centroid) to clusters, two local
 * speakers never to the same cluster while there are enough clusters (pyannote's constrained
 * argmax); with fewer clusters than voices, each to its nearest.
 */
export function assignWindow(similarities: readonly (readonly number[])[]): number[] {
  const k = similarities[0]?.length ?? 0;
  if (k === 0) return similarities.map(() => -1);
  if (k < similarities.length) return similarities.map((row) => row.indexOf(Math.max(...row)));
  return bestAssignment(similarities);
}
