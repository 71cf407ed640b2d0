import type { Segment } from '../domain/transcript/types';
import { HistoryStore, StorageFullError, type EntryState, type HistoryEntry } from '../services/history';

/** How often a running job's text is written (each write replaces the whole entry). */
const SAVE_INTERVAL_MS = 1_000;

export interface JobStart {
  name: string;
  source: 'file' | 'live';
  model: string;
  task: HistoryEntry['task'];
  duration: number;
  options: HistoryEntry['options'];
  /** Audio to keep with the entry (the file, for resume; a recording). */
  audio?: Blob;
  /** Continue this entry instead of starting a new one. */
  resumeId?: string;
  script?: HistoryEntry['script'];
  contentHash?: string;
  settingsKey?: string;
}

export interface JobProgress {
  segments: Segment[];
  completedUntil: number;
  language: string | null;
  duration?: number;
}

/**
 * The history list as the UI sees it, and the journal a job writes as it runs. Storage
 * failures never stop a job: the text stays on screen and `problem` says what could not be kept.
 */
export class History {
  entries = $state.raw<HistoryEntry[]>([]);
  available = $state(false);
  /**
   * Last storage problem, for the UI (`full`: the quota is used up; `audio-full`: the text was
   * saved, the audio kept with it was not).
   */
  problem = $state<'full' | 'audio-full' | 'failed' | null>(null);

  #store: HistoryStore | null = null;
  /** How far each entry's text is on the disk (seconds of audio), as of its last write. */
  #savedUntil = $state.raw<Record<string, number>>({});
  #pending = new Map<string, { progress: JobProgress; timer: ReturnType<typeof setTimeout> }>();

  async open() {
    this.#store = await HistoryStore.open();
    this.available = !!this.#store;
    if (!this.#store) return;
    await this.#store.markInterrupted();
    await this.refresh();
  }

  async refresh() {
    if (this.#store) this.entries = await this.#store.list();
  }

  #report(err: unknown, audioOnly = false) {
    this.problem = err instanceof StorageFullError ? (audioOnly ? 'audio-full' : 'full') : 'failed';
  }

  /** A job begins: returns the entry id (null without storage). */
  async start(job: JobStart): Promise<string | null> {
    const store = this.#store;
    if (!store) return null;
    const now = Date.now();
    const previous = job.resumeId ? await store.get(job.resumeId) : undefined;
    const entry: HistoryEntry = previous
      ? { ...previous, state: 'running', updatedAt: now }
      : {
          id: crypto.randomUUID(),
          name: job.name,
          createdAt: now,
          updatedAt: now,
          source: job.source,
          model: job.model,
          language: null,
          task: job.task,
          duration: job.duration,
          segments: [],
          completedUntil: 0,
          state: 'running',
          hasAudio: false,
          options: job.options,
          ...(job.script ? { script: job.script } : {}),
          ...(job.contentHash ? { contentHash: job.contentHash, settingsKey: job.settingsKey } : {}),
        };
    try {
      await store.put(entry);
      if (job.audio && !entry.hasAudio) {
        try {
          await store.putAudio(entry.id, job.audio);
          entry.hasAudio = true;
          await store.put(entry);
        } catch (err) {
          this.#report(err, true); // the text is still kept; only resuming needs the audio
        }
      }
    } catch (err) {
      this.#report(err);
      return null;
    }
    await this.refresh();
    return entry.id;
  }

  /** Throttled: the latest progress is written at most once a second. */
  progress(id: string | null, progress: JobProgress) {
    if (!id || !this.#store) return;
    const pending = this.#pending.get(id);
    if (pending) {
      pending.progress = progress;
      return;
    }
    const timer = setTimeout(() => void this.#flush(id), SAVE_INTERVAL_MS);
    this.#pending.set(id, { progress, timer });
  }

  async #flush(id: string, state?: EntryState) {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (pending) clearTimeout(pending.timer);
    const store = this.#store;
    if (!store || (!pending && !state)) return;
    const entry = await store.get(id);
    if (!entry) return;
    const p = pending?.progress;
    const next: HistoryEntry = {
      ...entry,
      ...(p ? { segments: p.segments, completedUntil: p.completedUntil, language: p.language ?? entry.language, duration: p.duration ?? entry.duration } : {}),
      ...(state ? { state } : {}),
      updatedAt: Date.now(),
    };
    try {
      await store.put(next);
      if (p) this.#savedUntil = { ...this.#savedUntil, [id]: p.completedUntil };
    } catch (err) {
      this.#report(err);
    }
  }

  /** Seconds of the entry's audio whose text is written to the disk (0 before its first write): a reload keeps that much. */
  savedUntil(id: string | null | undefined): number {
    return id ? (this.#savedUntil[id] ?? 0) : 0;
  }

  /** The job ended: final text and state. A complete file job drops its stored copy of the file. */
  async finish(id: string | null, progress: JobProgress, state: Exclude<EntryState, 'running'>, options: { keepAudio: boolean; audio?: Blob }) {
    if (!id || !this.#store) return;
    this.progress(id, progress);
    await this.#flush(id, state);
    try {
      if (options.audio) {
        await this.#store.putAudio(id, options.audio);
        const entry = await this.#store.get(id);
        if (entry) await this.#store.put({ ...entry, hasAudio: true });
      } else if (state === 'complete' && !options.keepAudio) {
        await this.#store.deleteAudio(id);
        const entry = await this.#store.get(id);
        if (entry) await this.#store.put({ ...entry, hasAudio: false });
      }
    } catch (err) {
      this.#report(err);
    }
    await this.refresh();
  }

  #edits: Promise<void> = Promise.resolve();

  /** A person edited the text: written at once (in order), so a reload right after keeps it. */
  saveSegments(id: string, segments: Segment[], speakers?: Record<string, string>, script?: HistoryEntry['script'], speakerTurns?: HistoryEntry['speakerTurns']): Promise<void> {
    const store = this.#store;
    if (!store) return Promise.resolve();
    this.#edits = this.#edits.then(async () => {
      const entry = await store.get(id);
      if (!entry) return;
      try {
        await store.put({ ...entry, segments, ...(speakers ? { speakers } : {}), ...(script ? { script } : {}), ...(speakerTurns ? { speakerTurns } : {}), updatedAt: Date.now() });
      } catch (err) {
        this.#report(err);
      }
    });
    return this.#edits;
  }

  get(id: string) {
    return this.#store?.get(id);
  }

  /** A complete transcript of the same file (content hash) made with the same settings, newest first. */
  findRepeat(contentHash: string, settingsKey: string): HistoryEntry | undefined {
    return this.entries.find((e) => e.state === 'complete' && e.contentHash === contentHash && e.settingsKey === settingsKey);
  }

  /** The store itself, for the batch queue (null without IndexedDB). */
  get store() {
    return this.#store;
  }

  audio(id: string) {
    return this.#store?.getAudio(id);
  }

  async rename(id: string, name: string) {
    await this.#store?.rename(id, name.trim() || 'Untitled');
    await this.refresh();
  }

  async remove(id: string) {
    await this.#store?.delete(id);
    await this.refresh();
  }
}
