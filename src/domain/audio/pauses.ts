/**
 * Shorten long pauses before decoding. Whisper's cost is per 30 s window, so a recording that is
 * a quarter silence costs a quarter more than its speech; and long silences are where Whisper
 * invents text. Pauses of at least `minPauseMs` keep `keepMs` on each side (so the model still
 * hears a pause and ends its segment there) and lose the middle. The returned spans map times
 * in the shortened audio back to the original, so every timestamp the user sees is original.
 */
import { WHISPER_SAMPLE_RATE_HZ } from './constants';
import { frameLevelsDb } from './levels';

const FRAME_SAMPLES = 320; // 20 ms at 16 kHz

export interface KeptSpan {
  /** Start in the original audio (samples). */
  start: number;
  /** Start in the shortened audio (samples). */
  compactStart: number;
  length: number;
}

export interface Compacted {
  audio: Float32Array;
  spans: KeptSpan[];
}

export interface PauseOptions {
  minPauseMs?: number;
  keepMs?: number;
}

/** A frame counts as silent below this, relative to the loud end of the file, and never above −40 dBFS. */
function silenceThresholdDb(frameDb: Float64Array): number {
  const sorted = Float64Array.from(frameDb).sort();
  const loud = sorted[Math.floor(sorted.length * 0.95)] ?? -100;
  return Math.max(-70, Math.min(-40, loud - 35));
}

export function compactPauses(audio: Float32Array, options: PauseOptions = {}): Compacted {
  return compactRanges(audio, levelKeptRanges(audio, options));
}

/** What `compactPauses` keeps: [start, end) sample ranges, ascending. */
export function levelKeptRanges(audio: Float32Array, options: PauseOptions = {}): { start: number; end: number }[] {
  const minPause = Math.round(((options.minPauseMs ?? 800) / 1000) * WHISPER_SAMPLE_RATE_HZ / FRAME_SAMPLES);
  const keep = Math.round(((options.keepMs ?? 200) / 1000) * WHISPER_SAMPLE_RATE_HZ / FRAME_SAMPLES);
  const frames = Math.floor(audio.length / FRAME_SAMPLES);
  const whole = [{ start: 0, end: audio.length }];
  if (frames < minPause) return whole;

  const db = frameLevelsDb(audio, FRAME_SAMPLES);
  const threshold = silenceThresholdDb(db);

  // Cut [from, to) frame ranges: the middle of every long enough pause.
  const cuts: [number, number][] = [];
  let runStart = -1;
  for (let f = 0; f <= frames; f++) {
    const silent = f < frames && db[f] < threshold;
    if (silent && runStart < 0) runStart = f;
    if (!silent && runStart >= 0) {
      if (f - runStart >= minPause) cuts.push([runStart + keep, f - keep]);
      runStart = -1;
    }
  }
  if (cuts.length === 0) return whole;

  const kept: { start: number; end: number }[] = [];
  let from = 0;
  for (const [a, b] of cuts) {
    if (a * FRAME_SAMPLES > from) kept.push({ start: from, end: a * FRAME_SAMPLES });
    from = b * FRAME_SAMPLES;
  }
  if (audio.length > from) kept.push({ start: from, end: audio.length });
  return kept;
}

/** Keep only `ranges` ([start, end) samples, ascending, not overlapping), back to back. */
export function compactRanges(audio: Float32Array, ranges: readonly { start: number; end: number }[]): Compacted {
  const spans: KeptSpan[] = [];
  let compact = 0;
  for (const r of ranges) {
    const length = Math.min(r.end, audio.length) - r.start;
    if (length <= 0) continue;
    spans.push({ start: r.start, compactStart: compact, length });
    compact += length;
  }
  if (spans.length === 0) return { audio: new Float32Array(0), spans: [{ start: 0, compactStart: 0, length: 0 }] };
  if (spans.length === 1 && spans[0].start === 0 && spans[0].length === audio.length) return { audio, spans };
  const out = new Float32Array(compact);
  for (const s of spans) out.set(audio.subarray(s.start, s.start + s.length), s.compactStart);
  return { audio: out, spans };
}

/** A position in the original audio (samples) → the shortened audio; a dropped position maps to the next kept one. */
export function toCompactSamples(spans: readonly KeptSpan[], original: number): number {
  for (const s of spans) {
    if (original < s.start) return s.compactStart;
    if (original < s.start + s.length) return s.compactStart + original - s.start;
  }
  const last = spans[spans.length - 1];
  return last.compactStart + last.length;
}

/** Seconds in the shortened audio → seconds in the original. */
export function toOriginalSeconds(spans: readonly KeptSpan[], compactSeconds: number): number {
  const x = compactSeconds * WHISPER_SAMPLE_RATE_HZ;
  // Binary search for the last span starting at or before x.
  let lo = 0;
  let hi = spans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (spans[mid].compactStart <= x) lo = mid;
    else hi = mid - 1;
  }
  const s = spans[lo];
  return (s.start + Math.min(Math.max(0, x - s.compactStart), s.length)) / WHISPER_SAMPLE_RATE_HZ;
}
