/**
 * Diarization error rate, the standard definition (NIST md-eval, pyannote.metrics): missed speech +
 * false alarm + speaker confusion, over the reference's speech time, with the one-to-one speaker
 * mapping that gives the least error. Computed on a 10 ms grid; overlapped speech is scored (a
 * frame with two reference speakers needs both). `collar` seconds on each side of every reference
 * boundary are not scored (md-eval's `-c 0.25` = ±0.25 s).
 */
import { bestAssignment } from './clustering';
import type { SpeakerTurn } from './types';

export interface DerBreakdown {
  der: number;
  missed: number;
  falseAlarm: number;
  confusion: number;
  /** Seconds of scored reference speech (a frame with two speakers counts twice). */
  total: number;
  referenceSpeakers: number;
  hypothesisSpeakers: number;
}

const STEP = 0.01;

function grid(turns: readonly SpeakerTurn[], frames: number): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const t of turns) {
    const row = m.get(t.speaker) ?? new Uint8Array(frames);
    for (let i = Math.max(0, Math.round(t.start / STEP)); i < Math.min(frames, Math.round(t.end / STEP)); i++) row[i] = 1;
    m.set(t.speaker, row);
  }
  return m;
}

export function diarizationError(reference: readonly SpeakerTurn[], hypothesis: readonly SpeakerTurn[], options: { collar?: number; duration?: number } = {}): DerBreakdown {
  const collar = options.collar ?? 0;
  const end = Math.max(options.duration ?? 0, ...reference.map((t) => t.end), ...hypothesis.map((t) => t.end));
  const frames = Math.ceil(end / STEP) + 1;
  const ref = grid(reference, frames);
  const hyp = grid(hypothesis, frames);
  const scored = new Uint8Array(frames).fill(1);
  if (collar > 0) {
    for (const t of reference) {
      for (const b of [t.start, t.end]) {
        for (let i = Math.max(0, Math.round((b - collar) / STEP)); i < Math.min(frames, Math.round((b + collar) / STEP)); i++) scored[i] = 0;
      }
    }
  }
  const refIds = [...ref.keys()];
  const hypIds = [...hyp.keys()];
  const overlap = hypIds.map((h) =>
    refIds.map((r) => {
      const a = hyp.get(h)!;
      const b = ref.get(r)!;
      let n = 0;
      for (let i = 0; i < frames; i++) if (scored[i] && a[i] && b[i]) n++;
      return n;
    }),
  );
  // The one-to-one mapping of hypothesis to reference speakers that shares the most time.
  const mapping = bestAssignment(overlap, true);
  let missed = 0;
  let falseAlarm = 0;
  let confusion = 0;
  let total = 0;
  for (let i = 0; i < frames; i++) {
    if (!scored[i]) continue;
    let nr = 0;
    let nh = 0;
    let correct = 0;
    for (const r of refIds) nr += ref.get(r)![i];
    hypIds.forEach((h, hi) => {
      if (!hyp.get(h)![i]) return;
      nh++;
      const r = mapping[hi];
      if (r >= 0 && ref.get(refIds[r])![i]) correct++;
    });
    total += nr;
    missed += Math.max(0, nr - nh);
    falseAlarm += Math.max(0, nh - nr);
    confusion += Math.min(nr, nh) - correct;
  }
  const s = (n: number) => n * STEP;
  return {
    der: total ? (missed + falseAlarm + confusion) / total : 0,
    missed: s(missed),
    falseAlarm: s(falseAlarm),
    confusion: s(confusion),
    total: s(total),
    referenceSpeakers: refIds.length,
    hypothesisSpeakers: hypIds.length,
  };
}
