/**
 * Word boundaries out of silence, from the signal itself (as stable-ts does with its loudness
 * mask): attention-based timings put a boundary anywhere in the pause between two words, often
 * at the end of the first, so the next word "starts" half a second or more before it is spoken.
 * Silero's regions are too coarse for this (padded, short pauses merged); the energy envelope at
 * 10 ms is not. A start inside a silence moves to where the silence ends; an end inside one moves
 * back to where it began; a start never precedes the previous word's end.
 */
import type { Word } from '../transcript/types';
import { frameLevelsDb } from './levels';

const SR = 16_000;
const HOP = 160; // 10 ms
const FRAME = 320; // 20 ms window

/** Per 10 ms frame: 1 where it is silent (below a level set from this audio's own floor and peaks). */
export function silenceMask(samples: Float32Array): Uint8Array {
  const db = Float32Array.from(frameLevelsDb(samples, FRAME, HOP, 1e-10));
  const sorted = Float32Array.from(db).sort();
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] : -100);
  const floor = q(0.1);
  const loud = q(0.95);
  // A third of the way from the noise floor to the loud parts, at least 8 dB above the floor:
  // digital silence, room tone and a noisy phone line all have a floor well below their speech.
  const threshold = floor + Math.max(8, (loud - floor) / 3);
  return Uint8Array.from(db, (d) => (d < threshold ? 1 : 0));
}

/** Silent runs of at least `minSeconds`, as [start, end) seconds. */
export function silences(samples: Float32Array, minSeconds = 0.1): { start: number; end: number }[] {
  const silent = silenceMask(samples);
  const out: { start: number; end: number }[] = [];
  const min = Math.round((minSeconds * SR) / HOP);
  let from = -1;
  for (let f = 0; f <= silent.length; f++) {
    if (f < silent.length && silent[f]) {
      if (from < 0) from = f;
    } else if (from >= 0) {
      if (f - from >= min) out.push({ start: (from * HOP + FRAME / 2) / SR, end: (f * HOP + FRAME / 2) / SR });
      from = -1;
    }
  }
  return out;
}

/**
 * Move word edges out of the silences of `samples` (times in seconds from its start). Each
 * boundary between two words that lies in a silence, or within `reach` of one (attention puts it
 * near, rarely in, the pause), is split across that silence: the word before ends where the
 * silence begins, the word after starts where it ends — unless the word after has more of its
 * speech before that silence than after it (then it is the one that ends there). The first start
 * and the last end likewise.
 * A silence is only used where both words keep `minWord` seconds, so a word is never pushed
 * wholly into silence, and the pause inside a word (a stop consonant) is not mistaken for one
 * between words unless the model put the boundary there.
 */
export function snapToEnergy(words: readonly Word[], samples: Float32Array, options: { minWord?: number; reach?: number } = {}): Word[] {
  const minWord = options.minWord ?? 0.04;
  const reach = options.reach ?? 0.3;
  const gaps = silences(samples);
  const out = words.map((w) => ({ ...w }));
  const distance = (g: { start: number; end: number }, t: number) => (t < g.start ? g.start - t : t > g.end ? t - g.end : 0);
  /** The silence nearest `t` within reach, lying between `lo` and `hi`. */
  const near = (t: number, lo: number, hi: number) => {
    let best: { start: number; end: number } | null = null;
    for (const g of gaps) {
      if (g.start < lo || g.end > hi || distance(g, t) > reach) continue;
      if (!best || distance(g, t) < distance(best, t) || (distance(g, t) === distance(best, t) && g.end - g.start > best.end - best.start)) best = g;
    }
    return best;
  };
  if (out.length) {
    const first = near(out[0].start, -Infinity, out[0].end - minWord);
    if (first && first.end > out[0].start) out[0].start = first.end;
    const lastWord = out[out.length - 1];
    const last = near(lastWord.end, lastWord.start + minWord, Infinity);
    if (last && last.start < lastWord.end) lastWord.end = last.start;
  }
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1];
    const cur = out[i];
    const g = near(cur.start, prev.start + minWord, cur.end - minWord);
    if (!g) continue;
    if (g.start > cur.start && g.start - cur.start > cur.end - g.end) {
      // The word has more speech before the silence than after it: it is spoken before the pause.
      cur.end = g.start;
      continue;
    }
    cur.start = Math.max(cur.start, g.end);
    prev.end = Math.min(Math.max(prev.end, prev.start), g.start);
  }
  // Never out of order.
  let floor = 0;
  for (const w of out) {
    w.start = Math.max(w.start, floor);
    w.end = Math.max(w.end, w.start);
    floor = w.end;
  }
  return out;
}
