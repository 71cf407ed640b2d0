/**
 * OpenAI Whisper's decoding rules and safeguards as pure functions over logit rows, so the
 * worker's decoder loop (workers/asr/whisper/decoder.ts) and the unit tests run the same code:
 * - the logit filters of `whisper/decoding.py` (suppress blank at the start, suppress special and
 *   non-speech tokens, `ApplyTimestampRules`);
 * - greedy / temperature sampling / beam search bookkeeping (`GreedyDecoder`, `BeamSearchDecoder`);
 * - the safeguards of `whisper/transcribe.py`: gzip compression ratio, average log-probability,
 *   temperature fallback and the no-speech gate, with OpenAI's default thresholds.
 */
import { zlibSync } from 'fflate';

/** `whisper.transcribe` defaults. */
export const DEFAULT_TEMPERATURES = [0, 0.2, 0.4, 0.6, 0.8, 1] as const;
export const COMPRESSION_RATIO_THRESHOLD = 2.4;
export const LOGPROB_THRESHOLD = -1;
export const NO_SPEECH_THRESHOLD = 0.6;
/** After a fallback above this temperature the text is not used as the next window's prompt. */
export const PROMPT_RESET_TEMPERATURE = 0.5;
/** `max_initial_timestamp` = 1.0 s: the first timestamp of a window is at most `<|1.00|>`. */
export const MAX_INITIAL_TIMESTAMP_INDEX = 50;
export const BEAM_SIZE = 5;

export interface SpecialTokens {
  eot: number;
  /** First timestamp token (`<|0.00|>`). */
  timestampBegin: number;
  noTimestamps: number;
  /** `<|nospeech|>` (`<|nocaptions|>` in older vocabularies). */
  noSpeech: number | null;
  /** Token ids of " " (suppressed with EOT as the first sampled token: OpenAI's SuppressBlank). */
  blank: readonly number[];
  /** Non-speech symbols and every special token but EOT and timestamps. */
  suppress: readonly number[];
}

/**
 * Apply OpenAI's logit filters in place to one row of logits.
 * @param sampled the tokens generated so far in this window (after the prefix)
 * @param timestamps whether timestamp tokens are being predicted
 * @param suppressAtStart OpenAI's SuppressBlank (no blank or end as the first token); off after forced text, which may be all there is
 */
export function applyLogitFilters(logits: Float32Array, sampled: readonly number[], t: SpecialTokens, timestamps: boolean, suppressAtStart = true): void {
  const NEG = -Infinity;
  if (sampled.length === 0 && suppressAtStart) {
    for (const id of t.blank) logits[id] = NEG;
    logits[t.eot] = NEG;
  }
  for (const id of t.suppress) logits[id] = NEG;
  if (!timestamps) return;

  const tb = t.timestampBegin;
  const vocab = logits.length;
  logits[t.noTimestamps] = NEG;
  const n = sampled.length;
  const lastWasTimestamp = n >= 1 && sampled[n - 1] >= tb;
  const penultimateWasTimestamp = n < 2 || sampled[n - 2] >= tb;
  if (lastWasTimestamp) {
    if (penultimateWasTimestamp) logits.fill(NEG, tb, vocab); // a segment just opened: text next
    else logits.fill(NEG, 0, t.eot); // a segment just closed: a timestamp or the end
  }
  let lastTimestamp = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (sampled[i] >= tb) {
      lastTimestamp = sampled[i];
      break;
    }
  }
  if (lastTimestamp >= 0) {
    // Timestamps never go back, and a segment is never empty (that would loop).
    const floor = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1;
    logits.fill(NEG, tb, Math.min(floor, vocab));
  }
  if (n === 0) {
    logits.fill(NEG, 0, tb); // a window starts with a timestamp
    logits.fill(NEG, Math.min(vocab, tb + MAX_INITIAL_TIMESTAMP_INDEX + 1), vocab);
  }
  // If all timestamps together are likelier than any single text token, take a timestamp.
  // (Compared on the logits: the softmax's normaliser is the same on both sides, so no
  // full-vocabulary softmax is needed on this per-token path.)
  let textMax = -Infinity;
  for (let i = 0; i < tb; i++) if (logits[i] > textMax) textMax = logits[i];
  if (logSumExp(logits, tb, vocab) > textMax) logits.fill(NEG, 0, tb);
}

/** log Σ exp(values[from..to)), stable; −∞ for an empty or all −∞ range. */
export function logSumExp(values: ArrayLike<number>, from = 0, to = values.length): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = from; i < to; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

/**
 * `[logSumExp(values[0..split)), logSumExp(values)]` in one pass over the row: word timing reads
 * both for every text token (the text-only softmax of word probabilities and the full one of
 * `avg_logprob`), and `Math.exp` over a 51 865-entry row is the costliest JavaScript of a window.
 */
export function logSumExpSplit(values: ArrayLike<number>, split: number): [number, number] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) return [-Infinity, -Infinity];
  let below = 0;
  let above = 0;
  for (let i = 0; i < split; i++) below += Math.exp(values[i] - max);
  for (let i = split; i < values.length; i++) above += Math.exp(values[i] - max);
  return [max + Math.log(below), max + Math.log(below + above)];
}

/**
 * One entry of `logSoftmax(values[0..end))` without building the whole array: the decoder
 * needs the picked token's log-probability every step, over a 51 865-token vocabulary.
 */
export function logProbabilityOf(values: ArrayLike<number>, token: number, end = values.length): number {
  return Math.fround(values[token] - logSumExp(values, 0, end));
}

export function logSoftmax(logits: ArrayLike<number>): Float32Array {
  const lse = logSumExp(logits);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Indices of the `k` largest values, largest first. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === -Infinity) continue;
    if (best.length === k && v <= values[best[k - 1]]) continue;
    let at = best.length < k ? best.length : k - 1;
    while (at > 0 && values[best[at - 1]] < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

/** A small seeded generator (mulberry32): sampling is repeatable run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draw from softmax(logits / temperature). */
export function sample(logits: ArrayLike<number>, temperature: number, random: () => number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const weights = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const w = logits[i] === -Infinity ? 0 : Math.exp((logits[i] - max) / temperature);
    weights[i] = w;
    sum += w;
  }
  let r = random() * sum;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r <= 0 && weights[i] > 0) return i;
  }
  return argmax(logits);
}

/**
 * OpenAI's `compression_ratio`: UTF-8 bytes of the text over its zlib-compressed size. Text
 * that repeats itself compresses well; above 2.4 a window is decoded again, hotter.
 */
export function compressionRatio(text: string): number {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length === 0) return 0;
  return bytes.length / zlibSync(bytes, { level: 6 }).length;
}

export interface DecodingQuality {
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
  /** The decode stopped in a repetition loop (a sure sign, before the ratio can show it). */
  looped?: boolean;
}

/** `whisper.transcribe`'s `needs_fallback`: decode again at the next temperature. */
export function needsFallback(q: DecodingQuality): boolean {
  // Silence: the no-speech gate drops it; a hotter decode would only invent text.
  if (q.noSpeechProb > NO_SPEECH_THRESHOLD && q.avgLogprob < LOGPROB_THRESHOLD) return false;
  return q.looped === true || q.compressionRatio > COMPRESSION_RATIO_THRESHOLD || q.avgLogprob < LOGPROB_THRESHOLD;
}

/** `whisper.transcribe`'s no-speech gate: the window is silence, its text is dropped. */
export function isNoSpeech(q: Pick<DecodingQuality, 'avgLogprob' | 'noSpeechProb'>): boolean {
  return q.noSpeechProb > NO_SPEECH_THRESHOLD && q.avgLogprob <= LOGPROB_THRESHOLD;
}

/** OpenAI divides by the text length + 1 (the end token). */
export function averageLogprob(sumLogprob: number, tokenCount: number): number {
  return sumLogprob / (tokenCount + 1);
}

export interface Hypothesis {
  /** Generated tokens without the end token. */
  tokens: number[];
  sumLogprob: number;
}

/**
 * Beam search bookkeeping for one audio (OpenAI's `BeamSearchDecoder`, patience 1): each step
 * every live beam proposes its `beamSize + 1` best next tokens, the best `beamSize` sequences
 * that did not end live on, those that ended are kept until `beamSize` have finished.
 */
export class BeamSearch {
  readonly beamSize: number;
  readonly eot: number;
  /** Live beams: tokens after the prefix and cumulative log-probability. */
  beams: Hypothesis[];
  readonly finished: Hypothesis[] = [];

  constructor(beamSize: number, eot: number) {
    this.beamSize = beamSize;
    this.eot = eot;
    this.beams = [{ tokens: [], sumLogprob: 0 }];
  }

  get done(): boolean {
    return this.finished.length >= this.beamSize || this.beams.length === 0;
  }

  /**
   * Advance one step. `logprobs[i]` is the filtered log-softmax for `beams[i]`. Returns, for each
   * new live beam, the index of the beam it grew from (to reorder the decoder's cache).
   */
  step(logprobs: readonly Float32Array[]): number[] {
    const candidates = new Map<string, { tokens: number[]; sumLogprob: number; source: number }>();
    this.beams.forEach((beam, i) => {
      for (const token of topK(logprobs[i], this.beamSize + 1)) {
        const tokens = [...beam.tokens, token];
        const key = tokens.join(',');
        const sumLogprob = beam.sumLogprob + logprobs[i][token];
        // Identical sequences from identical beams (the first step) count once.
        if (!candidates.has(key) || candidates.get(key)!.sumLogprob < sumLogprob) candidates.set(key, { tokens, sumLogprob, source: i });
      }
    });
    const next: Hypothesis[] = [];
    const sources: number[] = [];
    for (const c of [...candidates.values()].sort((a, b) => b.sumLogprob - a.sumLogprob)) {
      if (c.tokens[c.tokens.length - 1] === this.eot) {
        if (this.finished.length < this.beamSize) this.finished.push({ tokens: c.tokens.slice(0, -1), sumLogprob: c.sumLogprob });
      } else {
        next.push({ tokens: c.tokens, sumLogprob: c.sumLogprob });
        sources.push(c.source);
        if (next.length === this.beamSize) break;
      }
    }
    this.beams = next;
    return sources;
  }

  /** The best hypothesis by log-probability over length (OpenAI's ranker without a penalty). */
  best(): Hypothesis {
    const pool = this.finished.length ? [...this.finished] : [];
    if (pool.length < this.beamSize) pool.push(...this.beams.slice(0, this.beamSize - pool.length));
    return pool.reduce((a, b) => (score(b) > score(a) ? b : a));
  }
}

function score(h: Hypothesis): number {
  return h.sumLogprob / Math.max(1, h.tokens.length);
}
