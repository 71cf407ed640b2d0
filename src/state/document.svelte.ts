/**
 * The transcript on screen, as a document: segments with stable ids, words with times, and the
 * edits a person makes, with undo/redo. Jobs write into it (`setFromJob`, not undoable); people
 * edit it through its methods (undoable, and `onedit` saves each change). It knows nothing of
 * workers or models; every view and every export reads it.
 */
import {
  editText,
  emptyHistory,
  markReviewed,
  mergeWithNext,
  record,
  redo,
  replaceAll,
  reviewQueue,
  splitSegment,
  toDocSegments,
  undo,
  type DocSegment,
  type EditHistory,
  type FindOptions,
} from '../domain/transcript/document';
import { assignSpeakers, setSpeaker, speakersOf } from '../domain/diarization/assign';
import type { SpeakerTurn } from '../domain/diarization/types';
import type { Segment, Task, Transcript } from '../domain/transcript/types';

export interface DocumentMeta {
  /** The history entry it is saved in (null: not saved, e.g. no storage). */
  entryId: string | null;
  sourceName: string;
  source: 'file' | 'live';
  model: string;
  task: Task;
  language: string | null;
  duration: number;
  completedUntil: number;
}

const EMPTY_META: DocumentMeta = { entryId: null, sourceName: '', source: 'file', model: '', task: 'transcribe', language: null, duration: 0, completedUntil: 0 };

export class TranscriptDocument {
  #segments = $state.raw<DocSegment[]>([]);
  #meta = $state.raw<DocumentMeta>(EMPTY_META);
  #history = $state.raw<EditHistory<DocSegment[]>>(emptyHistory());
  /** Names people gave the speakers, by id (`S1` → `Dr. Lee`). */
  #names = $state.raw<Record<string, string>>({});
  /** Saves a person's edit (the history entry); set by whoever owns storage. */
  onedit: ((entryId: string, segments: DocSegment[], speakers: Record<string, string>) => void) | null = null;

  get segments(): readonly DocSegment[] {
    return this.#segments;
  }

  get meta(): DocumentMeta {
    return this.#meta;
  }

  get canUndo() {
    return this.#history.past.length > 0;
  }

  get canRedo() {
    return this.#history.future.length > 0;
  }

  get transcript(): Transcript {
    const m = this.#meta;
    return { segments: this.#segments, language: m.language, model: m.model, task: m.task, duration: m.duration, completedUntil: m.completedUntil, sourceName: m.sourceName, speakers: this.#names };
  }

  /** Speaker ids in the order they first speak (empty until speakers were found). */
  get speakers(): string[] {
    return speakersOf(this.#segments);
  }

  get speakerNames(): Readonly<Record<string, string>> {
    return this.#names;
  }

  /** A new document (a job starts, an entry is opened): the edit history starts empty. */
  reset(meta: Partial<DocumentMeta>, segments: readonly Segment[] = [], speakers: Record<string, string> = {}) {
    this.#meta = { ...EMPTY_META, ...meta };
    this.#segments = toDocSegments(segments);
    this.#names = speakers;
    this.#history = emptyHistory();
  }

  updateMeta(meta: Partial<DocumentMeta>) {
    this.#meta = { ...this.#meta, ...meta };
  }

  /** A job's text so far: replaces the segments, keeping the ids of those it already had. */
  setFromJob(segments: readonly Segment[]) {
    const known = this.#segments;
    this.#segments = toDocSegments(
      segments.map((s, i) => (known[i] && known[i].start === s.start && !('id' in s) ? { ...s, id: known[i].id, confidence: known[i].confidence } : s)),
      known,
    );
  }

  /** Append finished segments (a live session's finals). */
  append(segments: readonly Segment[]) {
    if (segments.length) this.#segments = [...this.#segments, ...toDocSegments(segments, this.#segments)];
  }

  #apply(next: DocSegment[]) {
    if (next.length === this.#segments.length && next.every((s, i) => s === this.#segments[i])) return;
    this.#history = record(this.#history, this.#segments);
    this.#segments = next;
    this.#save();
  }

  #save() {
    if (this.#meta.entryId) this.onedit?.(this.#meta.entryId, this.#segments, this.#names);
  }

  editText(id: string, text: string) {
    this.#apply(editText(this.#segments, id, text));
  }

  split(id: string, offset: number) {
    this.#apply(splitSegment(this.#segments, id, offset));
  }

  mergeWithNext(id: string) {
    this.#apply(mergeWithNext(this.#segments, id));
  }

  replaceAll(find: string, replacement: string, options?: FindOptions) {
    this.#apply(replaceAll(this.#segments, find, replacement, options));
  }

  /** Accept (optionally with corrected text) a segment of the review queue. */
  review(id: string, text?: string) {
    const edited = text === undefined ? this.#segments : editText(this.#segments, id, text);
    this.#apply(markReviewed(edited, id));
  }

  unreview(id: string) {
    this.#apply(markReviewed(this.#segments, id, false));
  }

  /** Speakers found by diarization: each word to its speaker, segments cut at speaker changes (one undo step). */
  applySpeakers(turns: readonly SpeakerTurn[]) {
    this.#apply(assignSpeakers(this.#segments, turns));
  }

  /** A turn (segment) belongs to another speaker. */
  reassign(id: string, speaker: string) {
    this.#apply(setSpeaker(this.#segments, id, speaker));
  }

  /** Name a speaker once for the whole transcript (an empty name goes back to "Speaker n"). */
  renameSpeaker(id: string, name: string) {
    const names = { ...this.#names };
    if (name.trim()) names[id] = name.trim();
    else delete names[id];
    this.#names = names;
    this.#save();
  }

  undo() {
    const u = undo(this.#history, this.#segments);
    if (!u) return;
    this.#history = u.history;
    this.#segments = u.state;
    this.#save();
  }

  redo() {
    const r = redo(this.#history, this.#segments);
    if (!r) return;
    this.#history = r.history;
    this.#segments = r.state;
    this.#save();
  }

  reviewQueue(threshold?: number): DocSegment[] {
    return reviewQueue(this.#segments, threshold);
  }
}
