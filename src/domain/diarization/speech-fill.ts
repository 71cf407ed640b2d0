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
