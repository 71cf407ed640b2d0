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
import { convertSegment, type Convert, type Script } from '../domain/transcript/script';

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
  /** The Chinese script it is read in (kept per transcript). */
  script: Script;
}

const EMPTY_META: DocumentMeta = { entryId: null, sourceName: '', source: 'file', model: '', task: 'transcribe', language: null, duration: 0, completedUntil: 0, script: 'original' };

export class TranscriptDocument {
  #segments = $state.raw<DocSegment[]>([]);
  #meta = $state.raw<DocumentMeta>(EMPTY_META);
  #history = $state.raw<EditHistory<DocSegment[]>>(emptyHistory());
  /** Names people gave the speakers, by id (`S1` → `Dr. Lee`). */
  #names = $state.raw<Record<string, string>>({});
  /** The speaker search's own turns (the RTTM export), kept with the transcript. */
  #turns = $state.raw<SpeakerTurn[] | undefined>(undefined);
  /** Saves a person's edit (the history entry); set by whoever owns storage. */
  onedit: ((entryId: string, segments: DocSegment[], speakers: Record<string, string>, script: Script, turns: SpeakerTurn[] | undefined) => void) | null = null;
  /**
   * The text as the reader sees it: the model's (and the person's) segments in the chosen
   * script. The stored segments stay as written, so "original" always gives the model's text
   * back; each converted segment is cached by the stored one (segments are never mutated).
   */
  #convert = $state.raw<Convert | null>(null);
  #cache = new WeakMap<DocSegment, DocSegment>();
  #shown = $derived.by(() => {
    const convert = this.#convert;
    if (!convert) return this.#segments;
    return this.#segments.map((s) => {
      let c = this.#cache.get(s);
      if (!c) this.#cache.set(s, (c = convertSegment(s, convert)));
      return c;
    });
  });

  get segments(): readonly DocSegment[] {
    return this.#segments;
  }

  /** The segments in the script the reader chose: what the editor shows and the exports write. */
  get shown(): readonly DocSegment[] {
    return this.#shown;
  }

  /** Any text (the live utterance) in the chosen script. */
  convertText(text: string): string {
    return this.#convert ? this.#convert(text) : text;
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
    return { segments: this.#shown as DocSegment[], language: m.language, model: m.model, task: m.task, duration: m.duration, completedUntil: m.completedUntil, sourceName: m.sourceName, speakers: this.#names, script: m.script, ...(this.#turns ? { speakerTurns: this.#turns } : {}) };
  }

  /** Speaker ids in the order they first speak (empty until speakers were found). */
  get speakers(): string[] {
    return speakersOf(this.#segments);
  }

  get speakerNames(): Readonly<Record<string, string>> {
    return this.#names;
  }

  /** A new document (a job starts, an entry is opened): the edit history starts empty. */
  reset(meta: Partial<DocumentMeta>, segments: readonly Segment[] = [], speakers: Record<string, string> = {}, turns?: SpeakerTurn[]) {
    // A new transcript is read in the script the last one was (the reader's choice), unless it says otherwise.
    this.#meta = { ...EMPTY_META, script: this.#meta.script, ...meta };
    this.#segments = toDocSegments(segments);
    this.#names = speakers;
    this.#turns = turns;
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

  /**
   * Read in another script (a converter from `services/chinese-script`, null for the model's
   * own text). Not an edit: nothing is rewritten, only saved with the transcript.
   */
  setScript(script: Script, convert: Convert | null) {
    this.#cache = new WeakMap();
    this.#convert = convert;
    if (script !== this.#meta.script) {
      this.#meta = { ...this.#meta, script };
      this.#save();
    }
  }

  /**
   * An edit made on the text as shown: the operation runs on the shown segments (so an offset
   * or a find string means what the person saw), and every segment it left alone goes back to
   * its stored self — only the segments it changed are stored in the script they were shown in.
   */
  #onShown(op: (segments: DocSegment[]) => DocSegment[]): DocSegment[] {
    const shown = this.#shown as DocSegment[];
    if (shown === this.#segments) return op(shown);
    const stored = new Map(shown.map((s, i) => [s, this.#segments[i]]));
    return op(shown).map((s) => stored.get(s) ?? s);
  }

  #apply(next: DocSegment[]) {
    if (next.length === this.#segments.length && next.every((s, i) => s === this.#segments[i])) return;
    this.#history = record(this.#history, this.#segments);
    this.#segments = next;
    this.#save();
  }

  #save() {
    if (this.#meta.entryId) this.onedit?.(this.#meta.entryId, this.#segments, this.#names, this.#meta.script, this.#turns);
  }

  editText(id: string, text: string) {
    this.#apply(this.#onShown((segments) => editText(segments, id, text)));
  }

  split(id: string, offset: number) {
    this.#apply(this.#onShown((segments) => splitSegment(segments, id, offset)));
  }

  mergeWithNext(id: string) {
    this.#apply(this.#onShown((segments) => mergeWithNext(segments, id)));
  }

  replaceAll(find: string, replacement: string, options?: FindOptions) {
    this.#apply(this.#onShown((segments) => replaceAll(segments, find, replacement, options)));
  }

  /** Accept (optionally with corrected text) a segment of the review queue. */
  review(id: string, text?: string) {
    this.#apply(this.#onShown((segments) => markReviewed(text === undefined ? segments : editText(segments, id, text), id)));
  }

  unreview(id: string) {
    this.#apply(markReviewed(this.#segments, id, false));
  }

  /** Speakers found by diarization: each word to its speaker, segments cut at speaker changes (one undo step). */
  applySpeakers(turns: readonly SpeakerTurn[]) {
    this.#turns = [...turns];
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
    return reviewQueue(this.#shown as DocSegment[], threshold);
  }
}
