/**
 * Word timings from cross-attention, as OpenAI Whisper's `timing.py` does it: the attention of
 * the alignment heads over the audio frames, normalised per frame, median-filtered, averaged,
 * then dynamic time warping finds the monotonic path from tokens to frames; a word starts where
 * the path first reaches its first token.
 */

/** Whisper's encoder frames per second of audio (1 500 per 30 s window). */
export const FRAMES_PER_SECOND = 50;
const SENTENCE_END = new Set(['.', '。', '!', '！', '?', '？']);
const PREPENDED = '"\'“¿([{-';
const APPENDED = '"\'.。,，!！?？:：”)]}、';
/** Languages written without spaces between words: split at characters. */
const NO_SPACE_LANGUAGES = new Set(['zh', 'ja', 'th', 'lo', 'my', 'yue']);

export interface Word {
  word: string;
  start: number;
  end: number;
  probability: number;
  /** Estimated, not aligned (approximate-words.ts). */
  approximate?: boolean;
}

/** Median filter along rows with reflect padding (scipy/torch `reflect`), width odd. */
export function medianFilter(row: Float32Array, width: number): Float32Array {
  const half = width >> 1;
  const n = row.length;
  if (n <= half) return row.slice();
  const out = new Float32Array(n);
  const window = new Float64Array(width);
  // Reflected at the edges (the edge itself not repeated), as OpenAI's median filter pads.
  const at = (i: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  // An insertion sort of the few values in reach: `TypedArray.prototype.sort` per frame was the
  // word-timing step's main JavaScript cost (issue 27's profile); this takes half the time.
  for (let i = 0; i < n; i++) {
    const inside = i >= half && i < n - half;
    for (let k = 0; k < width; k++) {
      const v = row[inside ? i - half + k : at(i - half + k)];
      let j = k - 1;
      while (j >= 0 && window[j] > v) {
        window[j + 1] = window[j];
        j--;
      }
      window[j + 1] = v;
    }
    out[i] = window[half];
  }
  return out;
}

/**
 * Dynamic time warping over a cost matrix (rows × cols, row-major). Returns the path as
 * `[rowIndices, colIndices]`, from (0, 0) to (rows-1, cols-1), as OpenAI's `dtw_cpu`.
 */
export function dtw(cost: Float32Array, rows: number, cols: number): [number[], number[]] {
  const W = cols + 1;
  const acc = new Float64Array((rows + 1) * W).fill(Infinity);
  const trace = new Int8Array((rows + 1) * W).fill(-1);
  acc[0] = 0;
  for (let j = 1; j <= cols; j++) {
    for (let i = 1; i <= rows; i++) {
      const c0 = acc[(i - 1) * W + j - 1];
      const c1 = acc[(i - 1) * W + j];
      const c2 = acc[i * W + j - 1];
      let c: number;
      let t: number;
      if (c0 < c1 && c0 < c2) [c, t] = [c0, 0];
      else if (c1 < c0 && c1 < c2) [c, t] = [c1, 1];
      else [c, t] = [c2, 2];
      acc[i * W + j] = cost[(i - 1) * cols + j - 1] + c;
      trace[i * W + j] = t;
    }
  }
  for (let j = 0; j <= cols; j++) trace[j] = 2;
  for (let i = 0; i <= rows; i++) trace[i * W] = 1;
  const ri: number[] = [];
  const ci: number[] = [];
  let i = rows;
  let j = cols;
  while (i > 0 || j > 0) {
    ri.push(i - 1);
    ci.push(j - 1);
    const t = trace[i * W + j];
    if (t === 0) {
      i--;
      j--;
    } else if (t === 1) i--;
    else j--;
  }
  return [ri.reverse(), ci.reverse()];
}

/**
 * The DTW input from the alignment heads' attention: `heads[h]` is (tokens × frames), each row
 * already a distribution over the frames that hold audio. Normalised per frame over the tokens,
 * median-filtered along time, averaged over heads and negated (DTW minimises).
 */
export function alignmentCost(heads: readonly Float32Array[], tokens: number, frames: number, medianWidth: number): Float32Array {
  const cost = new Float32Array(tokens * frames);
  for (const w of heads) {
    const normalised = new Float32Array(tokens * frames);
    for (let f = 0; f < frames; f++) {
      let mean = 0;
      for (let t = 0; t < tokens; t++) mean += w[t * frames + f];
      mean /= tokens;
      let variance = 0;
      for (let t = 0; t < tokens; t++) variance += (w[t * frames + f] - mean) ** 2;
      const std = Math.sqrt(variance / tokens) || 1;
      for (let t = 0; t < tokens; t++) normalised[t * frames + f] = (w[t * frames + f] - mean) / std;
    }
    for (let t = 0; t < tokens; t++) {
      const row = medianFilter(normalised.subarray(t * frames, (t + 1) * frames), medianWidth);
      for (let f = 0; f < frames; f++) cost[t * frames + f] -= row[f] / heads.length;
    }
  }
  return cost;
}

/**
 * Group text tokens into words, as Whisper's tokenizer does: tokens whose bytes only make a
 * character together stay together; then (for languages with spaces) a word starts at a piece
 * that begins with a space or is punctuation.
 */
export function splitToWordTokens(tokens: readonly number[], decode: (ids: number[]) => string, language: string): { words: string[]; tokens: number[][] } {
  const pieces: string[] = [];
  const pieceTokens: number[][] = [];
  let current: number[] = [];
  for (const t of tokens) {
    current.push(t);
    const text = decode(current);
    if (!text.includes('\ufffd')) {
      pieces.push(text);
      pieceTokens.push(current);
      current = [];
    }
  }
  if (current.length) {
    pieces.push(decode(current));
    pieceTokens.push(current);
  }
  if (NO_SPACE_LANGUAGES.has(language)) return { words: pieces, tokens: pieceTokens };
  const words: string[] = [];
  const wordTokens: number[][] = [];
  pieces.forEach((piece, i) => {
    const punctuation = /^\p{P}+$/u.test(piece.trim()) && piece.trim() !== '';
    if (piece.startsWith(' ') || punctuation || words.length === 0) {
      words.push(piece);
      wordTokens.push([...pieceTokens[i]]);
    } else {
      words[words.length - 1] += piece;
      wordTokens[wordTokens.length - 1].push(...pieceTokens[i]);
    }
  });
  return { words, tokens: wordTokens };
}

/**
 * When each text token starts (seconds from the window start), from the DTW path over
 * `alignmentCost` rows [no-timestamps token, text tokens…] (row k predicts text token k).
 * Returns `textTokens + 1` times: entry k is where token k starts, the last one where the text ends.
 */
export function tokenStartTimes(cost: Float32Array, textTokens: number, frames: number): number[] {
  if (textTokens === 0 || frames === 0) return [];
  const [rowIdx, colIdx] = dtw(cost, textTokens + 1, frames);
  const times: number[] = [];
  for (let k = 0; k < rowIdx.length; k++) if (k === 0 || rowIdx[k] !== rowIdx[k - 1]) times.push(colIdx[k] / FRAMES_PER_SECOND);
  return times;
}

/**
 * Group one segment's text tokens into words with times and probabilities (the mean of their
 * tokens', as OpenAI). `times[k]` is where token k starts; `times[tokens.length]` where the last ends.
 */
export function groupWords(
  tokens: readonly number[],
  times: readonly number[],
  tokenProbs: readonly number[],
  decode: (ids: number[]) => string,
  language: string,
): Word[] {
  if (tokens.length === 0) return [];
  const split = splitToWordTokens(tokens, decode, language);
  const words: Word[] = [];
  let at = 0;
  const time = (k: number) => times[Math.min(k, times.length - 1)] ?? 0;
  for (let w = 0; w < split.words.length; w++) {
    const n = split.tokens[w].length;
    const probs = tokenProbs.slice(at, at + n);
    words.push({
      word: split.words[w],
      start: time(at),
      end: time(at + n),
      probability: probs.reduce((a, b) => a + b, 0) / Math.max(1, probs.length),
    });
    at += n;
  }
  return clampLongWords(mergePunctuation(words));
}

/** Leading quotes/brackets join the next word, trailing punctuation the previous (OpenAI's `merge_punctuations`). */
export function mergePunctuation(words: Word[]): Word[] {
  const out = words.map((w) => ({ ...w }));
  for (let i = out.length - 2; i >= 0; i--) {
    const w = out[i].word;
    if (w.startsWith(' ') && PREPENDED.includes(w.trim()) && w.trim() !== '') {
      out[i + 1].word = w + out[i + 1].word;
      out[i + 1].start = out[i].start;
      out[i].word = '';
    }
  }
  for (let i = 1; i < out.length; i++) {
    const w = out[i].word;
    if (!w.startsWith(' ') && w !== '' && APPENDED.includes(w)) {
      let j = i - 1;
      while (j > 0 && out[j].word === '') j--;
      out[j].word += w;
      out[j].end = out[i].end;
      out[i].word = '';
    }
  }
  return out.filter((w) => w.word !== '');
}

/** OpenAI's hack for words the path stretched over a pause: at most twice the median length next to sentence ends. */
function clampLongWords(words: Word[]): Word[] {
  const durations = words.map((w) => w.end - w.start).filter((d) => d > 0).sort((a, b) => a - b);
  if (durations.length === 0) return words;
  const median = Math.min(0.7, durations[Math.floor(durations.length / 2)]);
  const max = median * 2;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w.end - w.start <= max) continue;
    if (SENTENCE_END.has(w.word.trim().slice(-1))) w.end = w.start + max;
    else if (SENTENCE_END.has(words[i - 1].word.trim().slice(-1))) w.start = w.end - max;
  }
  return words;
}

/** A segment ends after a word that ends a sentence, or before a pause this long. */
const SEGMENT_GAP_S = 1;
/** Subtitle-sized: a segment longer than this ends at the next word that ends a clause. */
const SEGMENT_MAX_S = 12;
const CLAUSE_END = /[,;:，；：、]$/;
/** A full stop after these does not end a sentence ("Mr. Foster"). */
const ABBREVIATION = /^(mr|mrs|ms|dr|prof|st|jr|sr|vs|etc|e\.g|i\.e|no|mt|fig|gen|col|capt|lt|sgt|rev|hon)\.$/i;

/**
 * Words of a window decoded as text only, grouped into segments the way Whisper's timestamps
 * would cut them: at sentence ends, at pauses between words, and (long sentences) at a clause.
 */
export function groupIntoSegments(words: readonly Word[]): Word[][] {
  const out: Word[][] = [];
  let current: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    current.push(w);
    const next = words[i + 1];
    const text = w.word.trim();
    const sentenceEnd = SENTENCE_END.has(text.slice(-1)) && !ABBREVIATION.test(text.replace(/^["'“(]+/, ''));
    const pause = next !== undefined && next.start - w.end >= SEGMENT_GAP_S;
    const long = w.end - current[0].start >= SEGMENT_MAX_S && CLAUSE_END.test(text);
    if (!next || sentenceEnd || pause || long) {
      out.push(current);
      current = [];
    }
  }
  return out;
}

/**
 * No word boundary inside silence (stable-ts's idea, with the VAD's regions): cross-attention
 * often stretches a word over the pause before it ("ask" from the end of "Americans" across a
 * second of silence). A word that starts in a pause and ends in speech starts where that speech
 * starts; one that ends in a pause after speech ends where it ends. Never before the previous
 * word's end. Times in seconds, regions sorted.
 */
export function snapToSpeech(words: readonly Word[], regions: readonly { start: number; end: number }[], slackS = 0.1): Word[] {
  // A start must have speech after it; an end must have speech before it.
  const startsSpeech = (t: number) => regions.some((r) => t >= r.start - slackS && t <= r.end - slackS);
  const endsSpeech = (t: number) => regions.some((r) => t >= r.start + slackS && t <= r.end + slackS);
  const out = words.map((w) => ({ ...w }));
  let floor = 0;
  for (const w of out) {
    if (!startsSpeech(w.start)) {
      const next = regions.find((r) => r.start > w.start && r.start < w.end);
      if (next) w.start = next.start;
    }
    if (!endsSpeech(w.end)) {
      const last = [...regions].reverse().find((r) => r.end < w.end && r.end > w.start);
      if (last) w.end = last.end;
    }
    w.start = Math.max(w.start, floor);
    w.end = Math.max(w.end, w.start);
    floor = w.end;
  }
  return out;
}
