/**
 * The transcript history, in IndexedDB (through `idb`): every job's text as it goes, so a
 * reload or a crash loses nothing, and the audio a job needs to be resumed or re-transcribed.
 * Nothing here leaves the device.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Task } from '../domain/transcript/types';
import type { Segment } from '../domain/transcript/types';
import type { Script } from '../domain/transcript/script';
import type { SpeakerTurn } from '../domain/diarization/types';

export type EntryState = 'running' | 'interrupted' | 'cancelled' | 'complete';

export interface HistoryEntry {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  source: 'file' | 'live';
  model: string;
  /** The language of the text (detected or chosen); null until known. */
  language: string | null;
  task: Task;
  /** Seconds of audio. */
  duration: number;
  segments: Segment[];
  /** Everything before this (seconds) is transcribed and settled: where a resume starts. */
  completedUntil: number;
  state: EntryState;
  /** The audio is stored with it (resume, re-transcribe, download). */
  hasAudio: boolean;
  /** Names people gave the speakers, by id. */
  speakers?: Record<string, string>;
  /** The speaker search's own turns (the RTTM export). */
  speakerTurns?: SpeakerTurn[];
  /** What the job was asked to do, so a resume does the same. */
  options: { language: string; prompt: string };
  /** The Chinese script the reader chose for it. */
  script?: Script;
  /** SHA-256 of the file (see `services/content-hash.ts`) and the settings it was transcribed with: a repeat is recognised. */
  contentHash?: string;
  settingsKey?: string;
}

/** A file waiting in the batch queue, kept on the device until it is transcribed. */
export interface QueueRecord {
  id: string;
  /** Position in the queue (ascending). */
  order: number;
  name: string;
  size: number;
  /** The file itself, until it is transcribed (the history keeps the audio from then on). */
  file?: File;
  state: 'queued' | 'running' | 'done' | 'error';
  /** Why it failed: a message key and its parameters, or a message. */
  error?: { key?: string; params?: Record<string, string | number>; message?: string };
  /** The history entry it was transcribed into (or found in, when it was a repeat). */
  entryId?: string;
  /** Done from the history: the same file with the same settings was transcribed before. */
  reused?: boolean;
  /** Transcribe even if the history has it. */
  force?: boolean;
  contentHash?: string;
  /** Seconds of audio, once decoded. */
  duration?: number;
  /** Times the engine crashed or hung on it: the first time it is resumed, the second it fails. */
  crashes?: number;
  addedAt: number;
}

interface Schema extends DBSchema {
  transcripts: { key: string; value: HistoryEntry; indexes: { byCreated: number } };
  audio: { key: string; value: Blob };
  queue: { key: string; value: QueueRecord };
}

export class StorageFullError extends Error {
  override name = 'StorageFullError';
}

function rethrow(err: unknown): never {
  const name = (err as Error)?.name;
  if (name === 'QuotaExceededError' || /quota/i.test((err as Error)?.message ?? '')) throw new StorageFullError((err as Error).message);
  throw err;
}

export class HistoryStore {
  readonly #db: IDBPDatabase<Schema>;

  private constructor(db: IDBPDatabase<Schema>) {
    this.#db = db;
  }

  /** Null where IndexedDB is unavailable (some private modes): the app works without history. */
  static async open(): Promise<HistoryStore | null> {
    try {
      const db = await openDB<Schema>('earshot', 2, {
        upgrade(db, oldVersion) {
          if (oldVersion < 1) {
            const t = db.createObjectStore('transcripts', { keyPath: 'id' });
            t.createIndex('byCreated', 'createdAt');
            db.createObjectStore('audio');
          }
          if (oldVersion < 2) db.createObjectStore('queue', { keyPath: 'id' });
        },
      });
      return new HistoryStore(db);
    } catch {
      return null;
    }
  }

  /** Newest first. */
  async list(): Promise<HistoryEntry[]> {
    return (await this.#db.getAllFromIndex('transcripts', 'byCreated')).reverse();
  }

  get(id: string) {
    return this.#db.get('transcripts', id);
  }

  async put(entry: HistoryEntry): Promise<void> {
    await this.#db.put('transcripts', entry).catch(rethrow);
  }

  async putAudio(id: string, audio: Blob): Promise<void> {
    await this.#db.put('audio', audio, id).catch(rethrow);
  }

  getAudio(id: string) {
    return this.#db.get('audio', id);
  }

  async deleteAudio(id: string) {
    await this.#db.delete('audio', id);
  }

  async rename(id: string, name: string) {
    const tx = this.#db.transaction('transcripts', 'readwrite');
    const entry = await tx.store.get(id);
    if (entry) await tx.store.put({ ...entry, name, updatedAt: Date.now() });
    await tx.done;
  }

  async delete(id: string) {
    const tx = this.#db.transaction(['transcripts', 'audio'], 'readwrite');
    await Promise.all([tx.objectStore('transcripts').delete(id), tx.objectStore('audio').delete(id), tx.done]);
  }

  /** The batch queue, in order. */
  async queue(): Promise<QueueRecord[]> {
    return (await this.#db.getAll('queue')).sort((a, b) => a.order - b.order);
  }

  async putQueued(record: QueueRecord): Promise<void> {
    await this.#db.put('queue', record).catch(rethrow);
  }

  async deleteQueued(id: string): Promise<void> {
    await this.#db.delete('queue', id);
  }

  /** Jobs that were running when the page went away (reload, crash, closed tab). */
  async markInterrupted(): Promise<void> {
    const tx = this.#db.transaction('transcripts', 'readwrite');
    for await (const cursor of tx.store) {
      if (cursor.value.state === 'running') await cursor.update({ ...cursor.value, state: 'interrupted' });
    }
    await tx.done;
  }
}
