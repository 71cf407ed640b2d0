/**
 * Words to speakers: each word goes to the speaker whose turns cover most of it (the nearest turn
 * when none does, as WhisperX does), then the changes are smoothed where wrong-speaker words
 * cluster — at turn boundaries, where a word or two of the next speaker's first breath lands on
 * the last speaker, or a sentence is cut in two. Segments are then cut where the speaker changes,
 * so each turn is its own segment.
 */
import type { DocSegment } from '../transcript/document';
import type { Word } from '../transcript/types';
import type { SpeakerTurn } from './types';

/** Speaker ids as the document keeps them: `S1`, `S2`, … (stable names, whatever the user calls them). */
export const speakerId = (index: number) => `S${index + 1}`;

/** The speaker who talks most during [start, end]; the nearest turn within `reach` s when nobody does; null otherwise. */
export function speakerDuring(turns: readonly SpeakerTurn[], start: number, end: number, reach = 1): number | null {
  const talk = new Map<number, number>();
  for (const t of turns) {
    const o = Math.min(end, t.end) - Math.max(start, t.start);
    if (o > 0) talk.set(t.speaker, (talk.get(t.speaker) ?? 0) + o);
  }
  if (talk.size) return [...talk].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  let best: number | null = null;
  let bestGap = reach;
  for (const t of turns) {
    const gap = Math.max(t.start - end, start - t.end);
    if (gap <= bestGap) {
      bestGap = gap;
      best = t.speaker;
    }
  }
  return best;
}

const SENTENCE_END = /[.?!。？！…]["'”’)\]]*\s*$/u;

/**
 * Smooth a word-by-word speaker sequence: (1) a run of one or two words (under a second) between
 * two runs of the same other speaker joins them; (2) a change inside a sentence moves to the
 * sentence's end when one is within three words after it, or to the end of the previous sentence
 * within three words before it (people change turns between sentences).
 */
export function smoothSpeakers(words: readonly Word[], speakers: readonly (number | null)[]): (number | null)[] {
  const out = [...speakers];
  const runs = () => {
    const r: { from: number; to: number; speaker: number | null }[] = [];
    out.forEach((s, i) => {
      if (r.length && r[r.length - 1].speaker === s) r[r.length - 1].to = i + 1;
      else r.push({ from: i, to: i + 1, speaker: s });
    });
    return r;
  };
  let r = runs();
  for (let i = 1; i + 1 < r.length; i++) {
    const run = r[i];
    const short = run.to - run.from <= 2 && words[run.to - 1].end - words[run.from].start < 1;
    if (short && r[i - 1].speaker === r[i + 1].speaker) out.fill(r[i - 1].speaker, run.from, run.to);
  }
  r = runs();
  for (let i = 1; i < r.length; i++) {
    const at = r[i].from;
    if (SENTENCE_END.test(words[at - 1].word)) continue;
    const before = r[i - 1].speaker;
    const after = r[i].speaker;
    let moved = false;
    for (let j = at; j < Math.min(at + 3, r[i].to - 1); j++) {
      if (SENTENCE_END.test(words[j].word)) {
        out.fill(before, at, j + 1);
        moved = true;
        break;
      }
    }
    if (moved) continue;
    for (let j = at - 2; j >= Math.max(r[i - 1].from + 1, at - 4); j--) {
      if (SENTENCE_END.test(words[j].word)) {
        out.fill(after, j + 1, at);
        break;
      }
    }
  }
  return out;
}

/**
 * The document's segments with speakers: cut where the (smoothed) speaker of the words changes;
 * a segment without words takes the speaker of its span. Pieces after the first get new ids.
 */
export function assignSpeakers(segments: readonly DocSegment[], turns: readonly SpeakerTurn[]): DocSegment[] {
  const flat: { seg: number; word: Word }[] = [];
  segments.forEach((s, i) => s.words?.forEach((w) => flat.push({ seg: i, word: w })));
  const raw = flat.map(({ word }) => speakerDuring(turns, word.start, word.end));
  const smooth = smoothSpeakers(
    flat.map((f) => f.word),
    raw,
  );
  let next = 1 + Math.max(0, ...segments.map((s) => Number(/^s(\d+)$/.exec(s.id)?.[1] ?? 0)));
  const out: DocSegment[] = [];
  let k = 0;
  segments.forEach((s) => {
    const words = s.words ?? [];
    const labels = smooth.slice(k, k + words.length);
    k += words.length;
    if (!words.length) {
      const who = speakerDuring(turns, s.start, s.end);
      out.push(withSpeaker(s, who));
      return;
    }
    // Words without any speaker nearby keep the speaker of the words around them.
    for (let j = 0; j < labels.length; j++) if (labels[j] === null) labels[j] = labels[j - 1] ?? labels.find((l) => l !== null) ?? null;
    const pieces: { from: number; to: number }[] = [];
    labels.forEach((l, j) => {
      if (j > 0 && l === labels[j - 1]) pieces[pieces.length - 1].to = j + 1;
      else pieces.push({ from: j, to: j + 1 });
    });
    if (pieces.length === 1) {
      out.push(withSpeaker(s, labels[0]));
      return;
    }
    pieces.forEach((p, n) => {
      const w = words.slice(p.from, p.to);
      const text = w.map((x) => x.word).join('');
      const piece: DocSegment = {
        ...s,
        id: n === 0 ? s.id : `s${next++}`,
        start: n === 0 ? s.start : w[0].start,
        end: n === pieces.length - 1 ? s.end : w[w.length - 1].end,
        text: n === 0 || /^\s/.test(text) ? text : ` ${text}`,
        words: w,
      };
      out.push(withSpeaker(piece, labels[p.from]));
    });
  });
  return out;
}

function withSpeaker(s: DocSegment, speaker: number | null): DocSegment {
  const id = speaker === null ? undefined : speakerId(speaker);
  if (s.speaker === id) return s;
  const { speaker: _old, ...rest } = s;
  return id ? { ...rest, speaker: id } : rest;
}

/** Reassign one segment (a turn) to another speaker. */
export function setSpeaker(segments: readonly DocSegment[], id: string, speaker: string): DocSegment[] {
  return segments.map((s) => (s.id === id && s.speaker !== speaker ? { ...s, speaker } : s));
}

/** Speaker ids in the order they first speak. */
export function speakersOf(segments: readonly { speaker?: string }[]): string[] {
  const seen: string[] = [];
  for (const s of segments) if (s.speaker && !seen.includes(s.speaker)) seen.push(s.speaker);
  return seen;
}

/** A stretch of a speaker to listen to: their longest segment, at most `seconds` long. */
export function speakerSample(segments: readonly DocSegment[], speaker: string, seconds = 6): { start: number; end: number } | null {
  let best: DocSegment | null = null;
  for (const s of segments) if (s.speaker === speaker && (!best || s.end - s.start > best.end - best.start)) best = s;
  if (!best) return null;
  const start = best.words?.[0]?.start ?? best.start;
  const end = best.words?.[best.words.length - 1]?.end ?? best.end;
  return { start, end: Math.min(end, start + seconds) };
}
