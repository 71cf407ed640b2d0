/**
 * The batch queue: many files (a folder of interviews) transcribed one after another with one
 * model load, each into its own history entry. The files and the queue's state are kept on the
 * device (IndexedDB, beside the history) until each is done, so a reload or a crash resumes
 * where it stopped: a file cut off mid-way continues from its saved text (the file job's resume),
 * one already finished is never transcribed again. A file the history already has — same bytes
 * (SHA-256), same model and settings — is offered from the history instead.
 */
import type { LoadRequest } from '../../../workers/asr/protocol';
import { contentHash } from '../../services/content-hash';
import type { HistoryEntry, QueueRecord } from '../../services/history';
import type { UiError } from '../errors';
import type { History } from '../history.svelte';
import type { FileJob, FileJobOptions } from './file-job.svelte';

export type QueueItem = QueueRecord & {
  /** The file is stored on the device (false: storage refused it; a reload loses it). */
  kept: boolean;
};

/** What every file of the queue is transcribed with (fixed when the user starts it). */
export interface QueueJob {
  request: LoadRequest;
  options: FileJobOptions;
}

interface QueueMeta {
  active: boolean;
  paused: boolean;
  /** The request without a picked folder's files (those cannot be kept; the page's own is used). */
  job: QueueJob | null;
}

const META_KEY = 'earshot.queue';

/** The settings that change the text: a repeat must match all of them. */
export function settingsKey(job: QueueJob | { request: Pick<LoadRequest, 'modelId' | 'dtype'>; options: FileJobOptions }): string {
  const o = job.options;
  return JSON.stringify([job.request.modelId, job.request.dtype, o.language, o.task, o.prompt, o.accuracy ?? 'fast']);
}

export interface QueueHooks {
  /** The load request for a job kept across a reload (a folder source's files come from the page). */
  request: (kept: LoadRequest | null) => LoadRequest;
  /** Nothing can run (the model did not load): the queue pauses and the user is told. */
  fatal: (error: UiError) => void;
  /** The queue ran out of files. */
  finished: (done: number, failed: number) => void;
  /** Another job (a single file, the microphone, speakers) has the model now. */
  busy: () => boolean;
}

export class BatchQueue {
  #items = $state.raw<QueueItem[]>([]);
  #active = $state(false);
  #paused = $state(false);
  #runningId = $state<string | null>(null);
  /** Storage refused a file (quota): it stays queued in this tab only. */
  #storageFull = $state(false);
  /** Wall seconds each transcribed file took, for the estimate of what is left. */
  #took = $state.raw<number[]>([]);
  #job: QueueJob | null = null;
  #draining = false;
  #removeAfterCancel = new Set<string>();

  readonly #file: FileJob;
  readonly #history: History;
  readonly #hooks: QueueHooks;

  constructor(file: FileJob, history: History, hooks: QueueHooks) {
    this.#file = file;
    this.#history = history;
    this.#hooks = hooks;
  }

  get items(): readonly QueueItem[] {
    return this.#items;
  }
  /** Started and not finished (running, or paused with files left). */
  get active() {
    return this.#active;
  }
  get paused() {
    return this.#paused;
  }
  get running() {
    return this.#runningId !== null;
  }
  get storageFull() {
    return this.#storageFull;
  }
  get counts() {
    const c = { queued: 0, running: 0, done: 0, error: 0, total: this.#items.length };
    for (const i of this.#items) c[i.state]++;
    return c;
  }

  /** 0–1 over the whole queue: finished files, plus the part of the running one that is done. */
  get progress(): number {
    const c = this.counts;
    if (!c.total) return 0;
    const part = this.#runningId && this.#file.duration > 0 ? this.#file.processedSeconds / this.#file.duration : 0;
    return Math.min(1, (c.done + c.error + part) / c.total);
  }

  /** Seconds left: the running file's estimate plus the files waiting at the mean time a file took. */
  get etaSeconds(): number | null {
    const waiting = this.counts.queued;
    const current = this.#runningId ? this.#file.etaSeconds : 0;
    if (current === null) return null;
    if (!waiting) return current;
    if (!this.#took.length) return null;
    return current + (waiting * this.#took.reduce((a, b) => a + b, 0)) / this.#took.length;
  }

  #meta(): QueueMeta {
    const job = this.#job && this.#job.request.source.kind === 'folder' ? { ...this.#job, request: { ...this.#job.request, source: { kind: 'folder' as const, name: this.#job.request.source.name, files: {} } } } : this.#job;
    return { active: this.#active, paused: this.#paused, job };
  }

  #saveMeta() {
    try {
      localStorage.setItem(META_KEY, JSON.stringify(this.#meta()));
    } catch {
      // Storage full: the queue goes on in this tab.
    }
  }

  async #keep(item: QueueItem): Promise<QueueItem> {
    const store = this.#history.store;
    if (!store) return { ...item, kept: false };
    const { kept: _, ...record } = item;
    try {
      await store.putQueued(record);
      return { ...item, kept: true };
    } catch {
      this.#storageFull = true;
      // Keep the state without the file, if that fits: the item is at least not forgotten.
      return { ...item, kept: false };
    }
  }

  #update(id: string, patch: Partial<QueueItem>) {
    let changed: QueueItem | undefined;
    this.#items = this.#items.map((i) => (i.id === id ? (changed = { ...i, ...patch }) : i));
    if (changed?.kept) void this.#keep(changed);
  }

  /** Read the queue back after a reload; a queue that was running goes on by itself. */
  async open() {
    const store = this.#history.store;
    if (!store) return;
    const records = await store.queue().catch(() => [] as QueueRecord[]);
    // A file that was running when the page went away is queued again (its entry resumes it).
    this.#items = records.map((r) => ({ ...r, state: r.state === 'running' ? 'queued' : r.state, kept: true }));
    let meta: QueueMeta | null = null;
    try {
      meta = JSON.parse(localStorage.getItem(META_KEY) ?? 'null');
    } catch {
      meta = null;
    }
    if (meta?.job) this.#job = { ...meta.job, request: this.#hooks.request(meta.job.request) };
    this.#paused = !!meta?.paused;
    this.#active = !!meta?.active && !!this.#job && this.#items.some((i) => i.state === 'queued');
    if (this.#active && !this.#paused) void this.#drain();
  }

  /** Files picked or dropped (a folder's audio and video): queued at the end. */
  async add(files: readonly File[]) {
    let order = Math.max(0, ...this.#items.map((i) => i.order));
    const added: QueueItem[] = files.map((file) => ({
      id: crypto.randomUUID(),
      order: ++order,
      name: file.name,
      size: file.size,
      file,
      state: 'queued',
      addedAt: Date.now(),
      kept: false,
    }));
    this.#items = [...this.#items, ...added];
    for (const item of added) {
      const kept = await this.#keep(item);
      if (kept.kept) this.#items = this.#items.map((i) => (i.id === item.id ? { ...i, kept: true } : i));
    }
    if (this.#active && !this.#paused) void this.#drain();
  }

  /** Start (or go on with) the queue with these settings. */
  start(job: QueueJob) {
    this.#job = job;
    this.#active = true;
    this.#paused = false;
    this.#saveMeta();
    void this.#drain();
  }

  /** Stop after cancelling the running file; its text so far is kept and it resumes from there. */
  pause() {
    this.#paused = true;
    this.#saveMeta();
    if (this.#runningId) this.#file.cancel();
  }

  resume() {
    if (!this.#job) return;
    this.#paused = false;
    this.#active = true;
    this.#saveMeta();
    void this.#drain();
  }

  /** Move a waiting or finished file up (-1) or down (+1). */
  move(id: string, delta: -1 | 1) {
    const list = [...this.#items];
    const i = list.findIndex((x) => x.id === id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= list.length) return;
    const a = list[i];
    const b = list[j];
    list[i] = { ...b, order: a.order };
    list[j] = { ...a, order: b.order };
    this.#items = list;
    for (const item of [list[i], list[j]]) if (item.kept) void this.#keep(item);
  }

  async remove(id: string) {
    if (id === this.#runningId) {
      this.#removeAfterCancel.add(id);
      this.#file.cancel();
      return;
    }
    this.#items = this.#items.filter((i) => i.id !== id);
    await this.#history.store?.deleteQueued(id).catch(() => {});
    if (!this.#items.some((i) => i.state === 'queued' || i.state === 'running')) this.#finish();
  }

  /** A failed file goes back in the queue (at its place) and is tried now, unless the queue is paused. */
  retry(id: string) {
    this.#update(id, { state: 'queued', error: undefined });
    this.#kick();
  }

  /** A file found in the history is transcribed after all (from the audio the history keeps of it). */
  async again(id: string) {
    const item = this.#items.find((i) => i.id === id);
    if (!item) return;
    let file = item.file;
    if (!file && item.entryId) {
      const audio = await this.#history.audio(item.entryId);
      if (audio) file = new File([audio], item.name, { type: audio.type });
    }
    this.#update(id, { state: 'queued', reused: false, force: true, entryId: undefined, file });
    this.#kick();
  }

  /** Run what is queued with the queue's settings (a queue that had finished starts again). */
  #kick() {
    if (this.#paused || !this.#job) return;
    if (!this.#active) {
      this.#active = true;
      this.#saveMeta();
    }
    void this.#drain();
  }

  /** Forget the finished files (their transcripts stay in the history). */
  async clearFinished() {
    const gone = this.#items.filter((i) => i.state === 'done');
    this.#items = this.#items.filter((i) => i.state !== 'done');
    await Promise.all(gone.map((i) => this.#history.store?.deleteQueued(i.id).catch(() => {})));
  }

  #finish() {
    const wasActive = this.#active;
    this.#active = false;
    this.#paused = false;
    this.#saveMeta();
    const c = this.counts;
    if (wasActive) this.#hooks.finished(c.done, c.error);
  }

  async #drain() {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#active && !this.#paused && this.#job) {
        if (this.#hooks.busy()) break;
        const item = this.#items.find((i) => i.state === 'queued');
        if (!item) {
          this.#finish();
          break;
        }
        await this.#run(item, this.#job);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #run(item: QueueItem, job: QueueJob) {
    this.#runningId = item.id;
    this.#update(item.id, { state: 'running' });
    try {
      const file = item.file;
      if (!file) {
        // Kept without its file (storage refused it before a reload): nothing left to transcribe.
        this.#update(item.id, { state: 'error', error: { key: 'errQueueLost', params: { name: item.name } } });
        return;
      }
      let hash = item.contentHash;
      if (!hash) {
        hash = await contentHash(file);
        this.#update(item.id, { contentHash: hash });
      }
      const key = settingsKey(job);
      let resume: { id: string; segments: HistoryEntry['segments']; from: number } | undefined;
      if (item.entryId) {
        // Started before a reload or a pause: finished already, or resumed from its saved text.
        const entry = await this.#history.get(item.entryId);
        if (entry?.state === 'complete') {
          this.#done(item.id, entry.id, { duration: entry.duration });
          return;
        }
        // Resumed even from 0 s: the same entry goes on (no second entry for one file).
        if (entry && entry.hasAudio) resume = { id: entry.id, segments: entry.segments, from: entry.completedUntil };
      } else if (!item.force) {
        const repeat = this.#history.findRepeat(hash, key);
        if (repeat) {
          this.#done(item.id, repeat.id, { reused: true, duration: repeat.duration });
          return;
        }
      }
      const t0 = performance.now();
      const out = await this.#file.run(file, job.request, { ...job.options, contentHash: hash, settingsKey: key }, resume, (entryId) => {
        if (entryId) this.#update(item.id, { entryId });
      });
      if (this.#removeAfterCancel.delete(item.id)) {
        this.#runningId = null;
        await this.remove(item.id);
        return;
      }
      if (out.status === 'done') {
        this.#took = [...this.#took, (performance.now() - t0) / 1000];
        this.#done(item.id, out.entryId ?? undefined, { duration: out.duration });
      } else if (out.status === 'cancelled' || out.status === 'skipped') {
        this.#update(item.id, { state: 'queued' });
      } else if (out.crashed && !item.crashes) {
        // The engine crashed or hung on this file: the model is loading again in a fresh worker,
        // and the file goes on from its saved text. A second crash on it is the file's error.
        this.#update(item.id, { state: 'queued', crashes: 1 });
      } else if (out.fatal) {
        this.#update(item.id, { state: 'queued' });
        this.#paused = true;
        this.#saveMeta();
        if (out.error) this.#hooks.fatal(out.error);
      } else {
        this.#update(item.id, { state: 'error', error: out.error ?? { key: 'errBadAudio', params: { name: item.name } } });
      }
    } catch (err) {
      this.#update(item.id, { state: 'error', error: { message: (err as Error).message } });
    } finally {
      this.#runningId = null;
    }
  }

  /** Finished: the history has the text and the audio, so the queue's copy of the file goes. */
  #done(id: string, entryId: string | undefined, extra: Partial<QueueItem>) {
    this.#update(id, { state: 'done', entryId, file: undefined, ...extra });
  }
}
