/**
 * Long-form planning from voice activity (Silero VAD probabilities, one per 512-sample frame):
 * where speech is, which audio to keep (speech with a margin; long pauses lose their middle, as
 * faster-whisper's `vad_filter` does), where a window may end (in a pause, never inside a word),
 * and which speech a decoded window failed to cover (so it can be decoded again).
 */
import { WHISPER_SAMPLE_RATE_HZ } from './constants';
import { VAD_FRAME_SAMPLES } from './vad-segmenter';

/** [start, end) in samples. */
export interface Range {
  start: number;
  end: number;
}

export interface SpeechOptions {
  threshold: number;
  negThreshold: number;
  /** Shorter speech is dropped (clicks). */
  minSpeechMs: number;
  /** Shorter dips below `negThreshold` do not end speech. */
  minSilenceMs: number;
}

export const DEFAULT_SPEECH_OPTIONS: SpeechOptions = { threshold: 0.5, negThreshold: 0.35, minSpeechMs: 250, minSilenceMs: 150 };

const ms = (x: number) => Math.round((x / 1000) * WHISPER_SAMPLE_RATE_HZ);

/** Speech regions from per-frame probabilities (hysteresis as Silero's `get_speech_timestamps`). */
export function speechRegions(probs: ArrayLike<number>, totalSamples: number, options: SpeechOptions = DEFAULT_SPEECH_OPTIONS): Range[] {
  const out: Range[] = [];
  let start = -1;
  let silenceFrom = -1;
  const minSilence = ms(options.minSilenceMs);
  const close = (end: number) => {
    if (end - start >= ms(options.minSpeechMs)) out.push({ start, end: Math.min(end, totalSamples) });
    start = -1;
    silenceFrom = -1;
  };
  for (let f = 0; f < probs.length; f++) {
    const p = probs[f];
    const at = f * VAD_FRAME_SAMPLES;
    if (start < 0) {
      if (p >= options.threshold) start = at;
      continue;
    }
    if (p >= options.threshold) silenceFrom = -1;
    else if (p < options.negThreshold) {
      if (silenceFrom < 0) silenceFrom = at;
      if (at + VAD_FRAME_SAMPLES - silenceFrom >= minSilence) close(silenceFrom);
    }
  }
  if (start >= 0) close(silenceFrom >= 0 ? silenceFrom : probs.length * VAD_FRAME_SAMPLES);
  return out;
}

/**
 * The audio to decode: each region with `padMs` on both sides (a second: Silero's edges are
 * late by a word's onset now and then, and trimmed edges changed words on our clips), merged where they touch or the
 * pause between is shorter than `maxPauseMs` (a pause that short is kept whole: it is part of
 * how people speak, and Whisper ends segments on it).
 */
export function keptRanges(regions: readonly Range[], totalSamples: number, padMs = 1000, maxPauseMs = 2000): Range[] {
  const pad = ms(padMs);
  const out: Range[] = [];
  for (const r of regions) {
    const start = Math.max(0, r.start - pad);
    const end = Math.min(totalSamples, r.end + pad);
    const prev = out[out.length - 1];
    if (prev && start - prev.end < ms(maxPauseMs)) prev.end = Math.max(prev.end, end);
    else out.push({ start, end });
  }
  return out;
}

/** The union of two sorted lists of ranges (audio either keeps). */
export function unionRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const all = [...a, ...b].sort((x, y) => x.start - y.start);
  const out: Range[] = [];
  for (const r of all) {
    const prev = out[out.length - 1];
    if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * Where the next window should end: the last pause between speech regions inside the 30 s
 * window, at least `minWindow` into it; a fixed 30 s window (the model finds its own end) when
 * speech runs on without a pause. Positions are in the decoded (shortened) audio.
 * @param pauses midpoints of pauses, ascending
 */
export function windowEnd(seek: number, total: number, pauses: readonly number[], windowSamples: number, minWindowSamples: number): number {
  const limit = seek + windowSamples;
  if (limit >= total) return total;
  let best = -1;
  for (const p of pauses) {
    if (p > limit) break;
    if (p >= seek + minWindowSamples) best = p;
  }
  return best > 0 ? best : limit;
}

/** Midpoints of the pauses between consecutive regions (pauses shorter than `minPauseMs` do not count). */
export function pauseMidpoints(regions: readonly Range[], minPauseMs = 300): number[] {
  const out: number[] = [];
  for (let i = 1; i < regions.length; i++) {
    const gap = regions[i].start - regions[i - 1].end;
    if (gap >= ms(minPauseMs)) out.push(Math.round((regions[i].start + regions[i - 1].end) / 2));
  }
  return out;
}

/**
 * The first speech region in [from, to) (seconds) that no decoded word touches: the model jumped
 * over it. Regions shorter than `minSpeechS` are not trusted to hold words; `slackS` allows for
 * word times that miss by a little.
 */
export function firstUncovered(
  regions: readonly { start: number; end: number }[],
  words: readonly { start: number; end: number }[],
  from: number,
  to: number,
  minSpeechS = 0.5,
  slackS = 0.5,
): { start: number; end: number } | null {
  for (const r of regions) {
    if (r.end <= from || r.start >= to) continue;
    const start = Math.max(r.start, from);
    const end = Math.min(r.end, to);
    if (end - start < minSpeechS) continue;
    const covered = words.some((w) => w.end >= start - slackS && w.start <= end + slackS);
    if (!covered) return { start, end };
  }
  return null;
}
