/**
 * The transcript as a document a person edits: segments with stable ids, words with times, and
 * the operations an editor needs (edit text, split, merge, replace, accept), each a pure function
 * from one segment list to the next. Unchanged segments stay the same objects, so the undo
 * history (`EditHistory`) keeps whole states cheaply, as ProseMirror's history keeps steps.
 */
import type { Segment, Word } from './types';

export interface DocSegment extends Segment {
  /** Stable across edits, saves and reloads (`s1`, `s2`, …; a split's second half gets a new one). */
  id: string;
  /** How sure the model was, 0–1, frozen when the segment was transcribed (see `segmentConfidence`). */
  confidence?: number;
  /** A person changed the text. */
  edited?: boolean;
  /** A person checked the segment (accepted it, or corrected it) in the review queue. */
  reviewed?: boolean;
}

/**
 * A segment's confidence on a probability scale: the geometric mean of its words' probabilities
 * (a word's probability is the mean of its tokens'), which is exp(mean log-probability), the
 * scale OpenAI's `avg_logprob` lives on. Without words: exp(avg_logprob). Null when unknown.
 */
export function segmentConfidence(s: Segment): number | null {
  const words = s.words?.filter((w) => Number.isFinite(w.probability) && w.word.trim() !== '');
  if (words?.length) return Math.exp(words.reduce((a, w) => a + Math.log(Math.max(1e-6, w.probability)), 0) / words.length);
  if (typeof s.avg_logprob === 'number' && Number.isFinite(s.avg_logprob)) return Math.exp(s.avg_logprob);
  return null;
}

function nextNumber(segments: readonly { id?: string }[]): number {
  let max = 0;
  for (const s of segments) {
    const n = /^s(\d+)$/.exec(s.id ?? '')?.[1];
    if (n) max = Math.max(max, Number(n));
  }
  return max + 1;
}

/** Give segments ids and frozen confidences where they lack them (job output, older history entries). */
export function toDocSegments(segments: readonly (Segment & Partial<DocSegment>)[], existing: readonly DocSegment[] = []): DocSegment[] {
  let n = Math.max(nextNumber(existing), nextNumber(segments));
  return segments.map((s) => {
    if (s.id && s.confidence !== undefined) return s as DocSegment;
    const confidence = s.confidence ?? segmentConfidence(s) ?? undefined;
    return { ...s, id: s.id ?? `s${n++}`, ...(confidence !== undefined ? { confidence } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------
// Re-timing words after a text edit

/** Scripts written without spaces: every character is its own word for editing. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const WORD = /\s*(?:[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]+)/gu;

/** Words as Whisper writes them: each with its leading space. Trailing space is dropped. */
export function splitWords(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** Per character of `words.join('')`: the time it was spoken (a word's span shared by its letters). */
function charTimes(words: readonly Word[]): { start: number; end: number; probability: number }[] {
  const out: { start: number; end: number; probability: number }[] = [];
  for (const w of words) {
    const letters = [...w.word];
    const lead = letters.length - [...w.word.trimStart()].length;
    const n = Math.max(1, letters.length - lead);
    const step = (w.end - w.start) / n;
    letters.forEach((_, i) => {
      const k = Math.max(0, i - lead);
      out.push({ start: w.start + k * step, end: i < lead ? w.start : w.start + (k + 1) * step, probability: w.probability });
    });
  }
  return out;
}

/** Longest common subsequence of two character lists: pairs (i in a, j in b). */
function lcsPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const dp = new Uint16Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * (m + 1) + j] = a[i] === b[j] ? dp[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(dp[(i + 1) * (m + 1) + j], dp[i * (m + 1) + j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) pairs.push([i++, j++]);
    else if (dp[(i + 1) * (m + 1) + j] >= dp[i * (m + 1) + j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * The words of `text` with times taken from `words` (the segment's words before the edit).
 * Letters the edit kept keep their times, so an unchanged word keeps its start and end exactly;
 * a changed or new word takes the time of what it replaced, or shares the gap between the
 * kept words around it. Words a person wrote get probability 1 and `edited`.
 */
export function retimeWords(words: readonly Word[], text: string, span: { start: number; end: number }): Word[] {
  const next = splitWords(text);
  if (!next.length) return [];
  const oldChars = [...words.map((w) => w.word).join('')];
  const times = charTimes(words);
  const newChars = [...next.join('')];
  const fold = (c: string) => c.toLowerCase();
  const pairs = lcsPairs(oldChars.map(fold), newChars.map(fold));
  const matched = new Array<number>(newChars.length).fill(-1);
  for (const [i, j] of pairs) matched[j] = i;

  // Each new character: its time, from its matched old character or between its kept neighbours.
  const at: { start: number; end: number }[] = new Array(newChars.length);
  let j = 0;
  while (j < newChars.length) {
    if (matched[j] >= 0) {
      at[j] = times[matched[j]];
      j++;
      continue;
    }
    let k = j;
    while (k < newChars.length && matched[k] < 0) k++;
    const prevOld = j > 0 ? matched[j - 1] : -1;
    const nextOld = k < newChars.length ? matched[k] : oldChars.length;
    // The time of the old letters this run replaced, or the gap between its neighbours.
    const from = prevOld + 1 < nextOld ? times[prevOld + 1].start : prevOld >= 0 ? times[prevOld].end : span.start;
    const to = prevOld + 1 < nextOld ? times[nextOld - 1].end : nextOld < oldChars.length ? times[nextOld].start : span.end;
    const n = k - j;
    for (let x = 0; x < n; x++) at[j + x] = { start: from + ((to - from) * x) / n, end: from + ((to - from) * (x + 1)) / n };
    j = k;
  }

  const out: Word[] = [];
  let c = 0;
  for (const w of next) {
    const letters = [...w];
    const lead = letters.length - [...w.trimStart()].length;
    const first = c + lead;
    const last = c + letters.length - 1;
    const kept = w === words[out.length]?.word || letters.every((_, x) => x < lead || matched[c + x] >= 0);
    const original = kept ? words.find((o) => o.word === w && Math.abs(o.start - at[first].start) < 1e-6) : undefined;
    out.push(
      original
        ? { ...original }
        : { word: w, start: at[first].start, end: Math.max(at[first].start, at[last].end), probability: kept ? Math.min(...letters.map((_, x) => (matched[c + x] >= 0 ? times[matched[c + x]].probability : 1))) : 1, ...(kept ? {} : { edited: true }) },
    );
    c += letters.length;
  }
  // Never out of order, never outside the segment.
  for (let i = 0; i < out.length; i++) {
    const floor = i ? out[i - 1].end : span.start;
    out[i].start = Math.min(Math.max(out[i].start, floor, span.start), span.end);
    out[i].end = Math.min(Math.max(out[i].end, out[i].start), span.end);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Edits

function findIndex(segments: readonly DocSegment[], id: string): number {
  const i = segments.findIndex((s) => s.id === id);
  if (i < 0) throw new RangeError(`No segment ${id}`);
  return i;
}

function withText(s: DocSegment, text: string): DocSegment {
  if (text === s.text) return s;
  const words = s.words ? retimeWords(s.words, text, s) : undefined;
  return { ...s, text, ...(words ? { words } : {}), edited: true };
}

/** Replace one segment's text; its words keep their times where the text kept them. */
export function editText(segments: readonly DocSegment[], id: string, text: string): DocSegment[] {
  const i = findIndex(segments, id);
  const next = withText(segments[i], text);
  return next === segments[i] ? [...segments] : segments.map((s, k) => (k === i ? next : s));
}

/**
 * Split a segment at a character offset of its text: the words before go to the first half,
 * the rest to a new segment that starts at its first word.
 */
export function splitSegment(segments: readonly DocSegment[], id: string, offset: number): DocSegment[] {
  const i = findIndex(segments, id);
  const s = segments[i];
  const cut = Math.max(0, Math.min(offset, s.text.length));
  const a = s.text.slice(0, cut).replace(/\s+$/, '');
  const b = s.text.slice(cut);
  if (!a.trim() || !b.trim()) return [...segments];
  let at = s.start + ((s.end - s.start) * a.length) / Math.max(1, s.text.length);
  let wordsA: Word[] | undefined;
  let wordsB: Word[] | undefined;
  if (s.words?.length) {
    // A word goes with the half its first letter is in.
    let chars = 0;
    const starts = s.words.map((w) => {
      const first = chars + (w.word.length - w.word.trimStart().length);
      chars += w.word.length;
      return first;
    });
    const k = starts.findIndex((c) => c >= cut);
    const index = k < 0 ? s.words.length : k;
    wordsA = s.words.slice(0, index);
    wordsB = s.words.slice(index);
    if (wordsA.length && wordsB.length) at = wordsB[0].start;
    else if (wordsA.length) at = wordsA[wordsA.length - 1].end;
  }
  const first: DocSegment = { ...s, text: a, end: wordsA?.length ? wordsA[wordsA.length - 1].end : at, ...(wordsA ? { words: wordsA } : {}) };
  const second: DocSegment = { ...s, id: `s${nextNumber(segments)}`, text: b, start: at, ...(wordsB ? { words: wordsB } : {}) };
  return [...segments.slice(0, i), first, second, ...segments.slice(i + 1)];
}

/** Merge a segment with the one after it. */
export function mergeWithNext(segments: readonly DocSegment[], id: string): DocSegment[] {
  const i = findIndex(segments, id);
  const a = segments[i];
  const b = segments[i + 1];
  if (!b) return [...segments];
  const joint = /\s$/.test(a.text) || /^\s/.test(b.text) || UNSPACED.test(a.text.slice(-1)) || UNSPACED.test(b.text.charAt(0)) ? '' : ' ';
  const bWords = b.words?.map((w, k) => (k === 0 && joint ? { ...w, word: joint + w.word } : w));
  const confidence = a.confidence !== undefined && b.confidence !== undefined ? Math.min(a.confidence, b.confidence) : (a.confidence ?? b.confidence);
  const merged: DocSegment = {
    ...a,
    text: a.text + joint + b.text,
    end: Math.max(a.end, b.end),
    ...(a.words || bWords ? { words: [...(a.words ?? []), ...(bWords ?? [])] } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
    edited: a.edited || b.edited || undefined,
    reviewed: (a.reviewed && b.reviewed) || undefined,
  };
  return [...segments.slice(0, i), merged, ...segments.slice(i + 2)];
}

export interface FindOptions {
  caseSensitive?: boolean;
  wholeWord?: boolean;
}

function findPattern(find: string, options: FindOptions): RegExp {
  const escaped = find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(options.wholeWord ? `(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])` : escaped, options.caseSensitive ? 'gu' : 'giu');
}

/** How often `find` occurs in the transcript. */
export function countMatches(segments: readonly Segment[], find: string, options: FindOptions = {}): number {
  if (!find) return 0;
  const re = findPattern(find, options);
  return segments.reduce((n, s) => n + (s.text.match(re)?.length ?? 0), 0);
}

/** Ids of the segments where `find` occurs, in order. */
export function matchingSegments(segments: readonly DocSegment[], find: string, options: FindOptions = {}): string[] {
  if (!find) return [];
  const re = findPattern(find, options);
  return segments.filter((s) => s.text.search(re) >= 0).map((s) => s.id);
}

/** Replace every occurrence (one undo step). */
export function replaceAll(segments: readonly DocSegment[], find: string, replacement: string, options: FindOptions = {}): DocSegment[] {
  if (!find) return [...segments];
  const re = findPattern(find, options);
  return segments.map((s) => (s.text.search(re) >= 0 ? withText(s, s.text.replace(re, () => replacement)) : s));
}

/** The person checked this segment (with or without correcting it). */
export function markReviewed(segments: readonly DocSegment[], id: string, reviewed = true): DocSegment[] {
  const i = findIndex(segments, id);
  return segments.map((s, k) => (k === i ? { ...s, reviewed: reviewed || undefined } : s));
}

// ---------------------------------------------------------------------------------------------
// Review queue

/** Below this confidence a segment goes to the review queue (see `segmentConfidence`). */
export const DEFAULT_REVIEW_THRESHOLD = 0.7;

/** Segments the model was unsure of, least sure first (ties keep transcript order). */
export function reviewQueue(segments: readonly DocSegment[], threshold = DEFAULT_REVIEW_THRESHOLD): DocSegment[] {
  return segments
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.confidence !== undefined && s.confidence < threshold && s.text.trim() !== '')
    .sort((a, b) => a.s.confidence! - b.s.confidence! || a.i - b.i)
    .map(({ s }) => s);
}

// ---------------------------------------------------------------------------------------------
// Undo history

export interface EditHistory<T> {
  past: T[];
  future: T[];
}

const HISTORY_LIMIT = 500;

export function emptyHistory<T>(): EditHistory<T> {
  return { past: [], future: [] };
}

/** Record `before` as undoable; a new edit clears the redo stack. */
export function record<T>(h: EditHistory<T>, before: T): EditHistory<T> {
  return { past: [...h.past.slice(-(HISTORY_LIMIT - 1)), before], future: [] };
}

export function undo<T>(h: EditHistory<T>, current: T): { history: EditHistory<T>; state: T } | null {
  if (!h.past.length) return null;
  return { history: { past: h.past.slice(0, -1), future: [current, ...h.future] }, state: h.past[h.past.length - 1] };
}

export function redo<T>(h: EditHistory<T>, current: T): { history: EditHistory<T>; state: T } | null {
  if (!h.future.length) return null;
  return { history: { past: [...h.past, current], future: h.future.slice(1) }, state: h.future[0] };
}
