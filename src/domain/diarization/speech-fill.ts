/**
 * Speech the segmentation model did not hear, given a speaker anyway. On far-field meeting audio
 * pyannote's segmentation misses quiet speech that Silero VAD still finds (an AMI cut where it
 * reports no one in any window while the reference has speech): where Silero says speech and no
 * turn covers it, the speech goes to the speaker of the nearest turn (the voice most likely to
 * go on), or to one speaker when none was found at all.
 */
import type { SpeakerTurn } from './types';

export interface FillOptions {
  /** Uncovered speech shorter than this (seconds) is left alone. */
  minSeconds?: number;
}

/** Turns plus the uncovered parts of `speech` (seconds), each given a speaker. */
export function fillFromSpeech(turns: readonly SpeakerTurn[], speech: readonly { start: number; end: number }[], { minSeconds = 0.3 }: FillOptions = {}): SpeakerTurn[] {
  const covered = [...turns].sort((a, b) => a.start - b.start);
  const added: SpeakerTurn[] = [];
  for (const region of speech) {
    // The parts of the region no turn covers.
    let at = region.start;
    const gaps: { start: number; end: number }[] = [];
    for (const t of covered) {
      if (t.end <= at) continue;
      if (t.start >= region.end) break;
      if (t.start > at) gaps.push({ start: at, end: Math.min(t.start, region.end) });
      at = Math.max(at, t.end);
      if (at >= region.end) break;
    }
    if (at < region.end) gaps.push({ start: at, end: region.end });
    for (const g of gaps) {
      if (g.end - g.start < minSeconds) continue;
      added.push({ ...g, speaker: nearestSpeaker(covered, g) });
    }
  }
  return [...turns, ...added].sort((a, b) => a.start - b.start || a.speaker - b.speaker);
}

function nearestSpeaker(turns: readonly SpeakerTurn[], g: { start: number; end: number }): number {
  let best = 0;
  let distance = Infinity;
  for (const t of turns) {
    const d = t.end <= g.start ? g.start - t.end : t.start >= g.end ? t.start - g.end : 0;
    if (d < distance) {
      distance = d;
      best = t.speaker;
    }
  }
  return best;
}

export interface LoudOptions {
  /** An event starts this far (dB) above the file's floor (its 10th-percentile frame level)… */
  startDb: number;
  /** …and goes on while the level stays this far above it. */
  continueDb: number;
  /** Nothing quieter than this (dBFS) is an event, whatever the floor (digital silence, dither). */
  minDbfs: number;
  /** Dips shorter than this (seconds) do not end an event; events shorter than `minSeconds` are dropped. */
  bridgeSeconds: number;
  minSeconds: number;
}

export const DEFAULT_LOUD_OPTIONS: LoudOptions = { startDb: 30, continueDb: 18, minDbfs: -45, bridgeSeconds: 0.2, minSeconds: 0.5 };

const LOUD_FRAME = 512;

/**
 * Where the room is loud: stretches of 16 kHz audio far above the file's own floor (seconds).
 * Both speech models call laughter and other vocal sounds "not speech", and in a meeting room these
 * are most of what is that loud (an AMI cut whose only speech is a laugh 30 dB above the room and
 * a short word: no turn, no Silero region); meeting references count them as the person's. Used
 * only where no turn and no Silero region covers them (see fillFromSpeech).
 */
export function loudRegions(audio: Float32Array, sampleRate = 16_000, o: LoudOptions = DEFAULT_LOUD_OPTIONS): { start: number; end: number }[] {
  const frames = Math.floor(audio.length / LOUD_FRAME);
  if (frames < 8) return [];
  const db = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let e = 0;
    for (let i = f * LOUD_FRAME; i < (f + 1) * LOUD_FRAME; i++) e += audio[i] * audio[i];
    db[f] = 10 * Math.log10(e / LOUD_FRAME + 1e-12);
  }
  // Level over ~0.1 s (three frames), so one click is not an event.
  const level = db.map((_, f) => {
    const a = Math.max(0, f - 1);
    const b = Math.min(frames - 1, f + 1);
    let e = 0;
    for (let k = a; k <= b; k++) e += 10 ** (db[k] / 10);
    return 10 * Math.log10(e / (b - a + 1));
  });
  const floor = [...db].sort((x, y) => x - y)[Math.floor(frames * 0.1)];
  const start = Math.max(floor + o.startDb, o.minDbfs);
  const go = Math.max(floor + o.continueDb, o.minDbfs - (o.startDb - o.continueDb));
  const seconds = LOUD_FRAME / sampleRate;
  const out: { start: number; end: number }[] = [];
  let from = -1;
  let quietFrom = -1;
  const close = (to: number) => {
    if ((to - from) * seconds >= o.minSeconds) out.push({ start: from * seconds, end: to * seconds });
    from = -1;
    quietFrom = -1;
  };
  for (let f = 0; f < frames; f++) {
    if (from < 0) {
      if (level[f] >= start) from = f;
      continue;
    }
    if (level[f] >= go) quietFrom = -1;
    else {
      if (quietFrom < 0) quietFrom = f;
      if ((f + 1 - quietFrom) * seconds >= o.bridgeSeconds) close(quietFrom);
    }
  }
  if (from >= 0) close(quietFrom >= 0 ? quietFrom : frames);
  return out;
}
