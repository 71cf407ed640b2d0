/**
 * From per-window local activity with cluster labels to speaker turns over the whole file
 * (pyannote's reconstruction: average each speaker's activity over the windows that cover a
 * frame, estimate how many speak at once from the local counts, keep that many), plus RTTM.
 */
import { frameCentre, FRAME_STEP_SAMPLES, SAMPLE_RATE } from './segmentation';
import type { SpeakerTurn } from './types';

export interface LabelledWindow {
  /** Start in samples. */
  start: number;
  /** `[local speaker][frame]` 0/1. */
  activity: readonly Uint8Array[];
  /**
   * Stretches of one local speaker's speech (frames `[from, to)`) with the cluster each was
   * matched to (−1: none). One local speaker may hold several: the segmentation model keeps a
   * voice in one slot inside its window, but now and then hands a slot to another voice after a
   * pause, so each stretch is matched on its own.
   */
  tracks: readonly Track[];
}

export interface Track {
  speaker: number;
  from: number;
  to: number;
  label: number;
}

export interface ReconstructOptions {
  /** Gaps shorter than this inside one speaker's speech are closed (seconds). */
  minGap?: number;
  /** Turns shorter than this are dropped (seconds). */
  minTurn?: number;
}

export function reconstruct(windows: readonly LabelledWindow[], totalSamples: number, speakers: number, options: ReconstructOptions = {}): SpeakerTurn[] {
  const frames = Math.ceil(totalSamples / FRAME_STEP_SAMPLES) + 1;
  const sums = Array.from({ length: speakers }, () => new Float32Array(frames));
  const cover = new Float32Array(frames);
  const localCount = new Float32Array(frames);
  for (const w of windows) {
    const offset = Math.round(w.start / FRAME_STEP_SAMPLES);
    const n = w.activity[0]?.length ?? 0;
    for (let f = 0; f < n; f++) {
      const g = offset + f;
      if (g >= frames) break;
      cover[g] += 1;
      for (let k = 0; k < w.activity.length; k++) if (w.activity[k][f]) localCount[g] += 1;
    }
    for (const t of w.tracks) {
      if (t.label < 0) continue;
      for (let f = t.from; f < t.to; f++) if (w.activity[t.speaker][f] && offset + f < frames) sums[t.label][offset + f] += 1;
    }
  }
  const active = Array.from({ length: speakers }, () => new Uint8Array(frames));
  const order = Array.from({ length: speakers }, (_, i) => i);
  for (let g = 0; g < frames; g++) {
    if (!cover[g]) continue;
    const count = Math.round(localCount[g] / cover[g]);
    if (!count) continue;
    order.sort((a, b) => sums[b][g] - sums[a][g]);
    for (let i = 0; i < Math.min(count, speakers); i++) if (sums[order[i]][g] > 0) active[order[i]][g] = 1;
  }
  const step = FRAME_STEP_SAMPLES / SAMPLE_RATE;
  const duration = totalSamples / SAMPLE_RATE;
  const turns: SpeakerTurn[] = [];
  for (let s = 0; s < speakers; s++) {
    let runStart = -1;
    for (let g = 0; g <= frames; g++) {
      const on = g < frames && active[s][g] === 1;
      if (on && runStart < 0) runStart = g;
      if (!on && runStart >= 0) {
        turns.push({ start: Math.max(0, frameCentre(0, runStart) - step / 2), end: Math.min(duration, frameCentre(0, g - 1) + step / 2), speaker: s });
        runStart = -1;
      }
    }
  }
  return tidy(turns, options);
}

/** Close short gaps inside a speaker's speech, drop blips, sort by start. */
export function tidy(turns: readonly SpeakerTurn[], { minGap = 0.1, minTurn = 0.1 }: ReconstructOptions = {}): SpeakerTurn[] {
  const bySpeaker = new Map<number, SpeakerTurn[]>();
  for (const t of [...turns].sort((a, b) => a.start - b.start)) {
    const list = bySpeaker.get(t.speaker) ?? [];
    const last = list[list.length - 1];
    if (last && t.start - last.end < minGap) last.end = Math.max(last.end, t.end);
    else list.push({ ...t });
    bySpeaker.set(t.speaker, list);
  }
  return [...bySpeaker.values()]
    .flat()
    .filter((t) => t.end - t.start >= minTurn)
    .sort((a, b) => a.start - b.start || a.speaker - b.speaker);
}

/** Seconds covered by at least one turn. */
export function coveredSeconds(turns: readonly { start: number; end: number }[]): number {
  let total = 0;
  let reach = -Infinity;
  for (const t of [...turns].sort((a, b) => a.start - b.start)) {
    if (t.end <= reach) continue;
    total += t.end - Math.max(t.start, reach);
    reach = t.end;
  }
  return total;
}

/** Speakers numbered 0, 1, … in the order they first speak; speakers without turns disappear. */
export function renumber(turns: readonly SpeakerTurn[]): { turns: SpeakerTurn[]; speakers: number } {
  const ids = new Map<number, number>();
  const sorted = [...turns].sort((a, b) => a.start - b.start);
  for (const t of sorted) if (!ids.has(t.speaker)) ids.set(t.speaker, ids.size);
  return { turns: sorted.map((t) => ({ ...t, speaker: ids.get(t.speaker)! })), speakers: ids.size };
}

/** RTTM (NIST): one `SPEAKER` line per turn; names without spaces (RTTM fields are space-separated). */
export function toRttm(fileId: string, turns: readonly { start: number; end: number; name: string }[]): string {
  const field = (s: string) => s.trim().replace(/\s+/g, '_') || 'unknown';
  return turns.map((t) => `SPEAKER ${field(fileId)} 1 ${t.start.toFixed(3)} ${(t.end - t.start).toFixed(3)} <NA> <NA> ${field(t.name)} <NA> <NA>\n`).join('');
}

/** RTTM lines back to turns, per file id, speakers numbered per file by first appearance. */
export function parseRttm(text: string): Map<string, { turns: SpeakerTurn[]; names: string[] }> {
  const raw = new Map<string, { start: number; end: number; name: string }[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'SPEAKER' || f.length < 8) continue;
    const start = Number(f[3]);
    const list = raw.get(f[1]) ?? [];
    list.push({ start, end: start + Number(f[4]), name: f[7] });
    raw.set(f[1], list);
  }
  const out = new Map<string, { turns: SpeakerTurn[]; names: string[] }>();
  for (const [id, list] of raw) {
    list.sort((a, b) => a.start - b.start);
    const names: string[] = [];
    const turns = list.map((t) => {
      if (!names.includes(t.name)) names.push(t.name);
      return { start: t.start, end: t.end, speaker: names.indexOf(t.name) };
    });
    out.set(id, { turns, names });
  }
  return out;
}
