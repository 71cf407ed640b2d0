/**
 * The transcript history, in IndexedDB (through `idb`): every job's text as it goes, so a
 * reload or a crash loses nothing, and the audio a job needs to be resumed or re-transcribed.
 * Nothing here leaves the device.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Task } from '../domain/transcript/types';
import type { Segment } from '../domain/transcript/types';

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
  /** What the job was asked to do, so a resume does the same. */
  options: { language: string; prompt: string };
}

interface Schema extends DBSchema {
  transcripts: { key: string; value: HistoryEntry; indexes: { byCreated: number } };
  audio: { key: string; value: Blob };
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
      const db = await openDB<Schema>('earshot', 1, {
        upgrade(db) {
          const t = db.createObjectStore('transcripts', { keyPath: 'id' });
          t.createIndex('byCreated', 'createdAt');
          db.createObjectStore('audio');
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

  /** Jobs that were running when the page went away (reload, crash, closed tab). */
  async markInterrupted(): Promise<void> {
    const tx = this.#db.transaction('transcripts', 'readwrite');
    for await (const cursor of tx.store) {
      if (cursor.value.state === 'running') await cursor.update({ ...cursor.value, state: 'interrupted' });
    }
    await tx.done;
  }
}
