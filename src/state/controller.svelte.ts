/**
 * The page's decisions, out of the page: what the settings ask the worker for (the load request
 * and the job options, built once), the guard before anything downloads (the source this copy
 * allows, offline mode, the storage left), the check of a self-hosted source as soon as it is set,
 * whether the picked file was transcribed before, and the actions the page's buttons start.
 * `App.svelte` lays the page out and words what this holds; nothing here touches the DOM.
 */
import { connectAllowed } from '../domain/csp';
import { catalogEntry, estimateDownloadBytes, formatBytes, isValidModelId } from '../domain/models/catalog';
import { whisperCodesOf } from '../domain/transcript/langid';
import type { ExportFormat } from '../domain/transcript/exports';
import type { HistoryEntry } from '../services/history';
import { contentHash } from '../services/content-hash';
import { checkModelSource, resolveBase, speakerModelBases, type SourceProblem } from '../services/model-source';
import { isStored, usage } from '../services/model-storage';
import { saveBlob } from '../services/save-file';
import type { LoadRequest } from '../../workers/asr/protocol';
import type { UiError } from './errors';
import { exportAllZip } from './export-all';
import type { FileJobOptions } from './jobs/file-job.svelte';
import { settingsKey, type QueueItem } from './jobs/queue.svelte';
import type { ModelSession } from './model.svelte';
import type { Settings } from './settings.svelte';
import { Workspace } from './workspace.svelte';

/** What the controller needs of the page it runs in (a test gives its own). */
export interface PageEnv {
  /** The page's address: relative model sources resolve against it. */
  href: () => string;
  /** The page's Content-Security-Policy (its meta tag), if any. */
  policy: () => string | null;
  /** The UI's language tag and the browser's languages, best first. */
  languages: () => readonly string[];
  storage: Storage | null;
  /** The model session (a test's has a fake worker client); by default one with the real worker. */
  model?: ModelSession;
}

/** A download that would not fit: what to tell, and what to do if the user goes ahead. */
export interface QuotaPrompt {
  params: { model: string; size: string; free: string };
  proceed: () => void;
}

export class AppController {
  readonly ws: Workspace;
  readonly settings: Settings;
  readonly #env: PageEnv;
  readonly #stop: () => void;

  /** The one file picked for a single job (several go to the queue). */
  pendingFile = $state.raw<File | null>(null);
  /** A notice that ended nothing (a blocked source, offline mode, storage not kept, a failed export). */
  notice = $state.raw<UiError | null>(null);
  quotaPrompt = $state.raw<QuotaPrompt | null>(null);
  /** What is wrong with a self-hosted source, said next to it before anything downloads. */
  sourceProblem = $state.raw<SourceProblem | null>(null);
  /** The picked file was transcribed before with these settings: offered from the history. */
  repeat = $state.raw<HistoryEntry | null>(null);
  /** The queue ran out of files: how many were done and how many failed. */
  queueFinished = $state.raw<{ done: number; failed: number } | null>(null);
  exporting = $state(false);

  /** Each picked file is hashed once (SHA-256 of its bytes), to recognise a repeat. */
  readonly #hashes = new WeakMap<File, Promise<string>>();

  constructor(settings: Settings, env: PageEnv) {
    this.settings = settings;
    this.#env = env;
    this.ws = new Workspace({
      model: env.model,
      // A queue kept across a reload loads with the request it was started with (a picked
      // folder's files cannot be kept: this page's own are used).
      queueRequest: (kept) => (kept && kept.source.kind !== 'folder' ? kept : this.request()),
      queueFinished: (done, failed) => (this.queueFinished = { done, failed }),
    });

    // Its own effect root: the controller's reactions live as long as it does, in a page or a test.
    this.#stop = $effect.root(() => {
      // A self-hosted source is checked as soon as it is set (link or field).
      $effect(() => {
        this.sourceProblem = null;
        if (settings.sourceKind !== 'custom' || !isValidModelId(settings.modelId)) return;
        const base = resolveBase(settings.customBaseUrl, env.href());
        if (!base) return;
        const modelId = settings.modelId;
        const offline = settings.offline;
        const abort = new AbortController();
        const timer = setTimeout(() => {
          checkModelSource(base, modelId, { policy: env.policy(), pageOrigin: new URL(env.href()).origin, offline, signal: abort.signal })
            .then((p) => (this.sourceProblem = p))
            .catch(() => {});
        }, 400);
        return () => {
          clearTimeout(timer);
          abort.abort();
        };
      });

      $effect(() => {
        const file = this.pendingFile;
        const key = this.#settingsKey();
        void this.ws.history.entries;
        this.repeat = null;
        if (!file) return;
        let current = true;
        this.#hashOf(file)
          .then((hash) => {
            if (current) this.repeat = this.ws.history.findRepeat(hash, key) ?? null;
          })
          .catch(() => {});
        return () => (current = false);
      });

      $effect(() => {
        if (this.ws.queue.active) this.queueFinished = null;
      });
    });
  }

  /** Stop the controller's reactions (a test's end). */
  destroy() {
    this.#stop();
  }

  /**
   * The load request as plain data. A relative base (`models/`) is resolved here, against the
   * page (the worker would resolve it against its own script); a picked folder's File objects
   * are passed as they are.
   */
  request(): LoadRequest {
    const s = this.settings;
    const source: LoadRequest['source'] = s.sourceKind === 'custom' ? { kind: 'custom', baseUrl: resolveBase(s.customBaseUrl, this.#env.href())?.href ?? s.customBaseUrl } : s.source;
    return {
      modelId: s.requestedModelId,
      source,
      device: s.device,
      dtype: s.dtype,
      threads: s.threads,
      offline: s.offline,
      mergedDecoder: s.mergedDecoder,
      windowEncoder: s.windowEncoder,
    };
  }

  /** The languages this user reads and speaks, best first: the UI's, then the browser's. */
  userLanguages(): string[] {
    return whisperCodesOf([...this.#env.languages()]);
  }

  /** A file job's options from the settings: the one place they are built. */
  jobOptions(overrides: Partial<FileJobOptions> = {}): FileJobOptions {
    const s = this.settings;
    return { language: s.language, task: s.task, prompt: s.prompt, accuracy: s.accuracy, context: s.context, fallback: s.fallback, preferredLanguages: this.userLanguages(), ...overrides };
  }

  #settingsKey(options = this.jobOptions()) {
    return settingsKey({ request: { modelId: this.settings.requestedModelId, dtype: this.settings.dtype }, options });
  }

  #hashOf(file: File): Promise<string> {
    let h = this.#hashes.get(file);
    if (!h) this.#hashes.set(file, (h = contentHash(file)));
    return h;
  }

  /** Where the chosen model's files come from (a URL inside the source, for policy checks). */
  #sourceUrl(): URL {
    const src = this.settings.source;
    if (src.kind === 'custom') return new URL(src.baseUrl || '.', this.#env.href());
    if (src.kind === 'folder') return new URL(this.#env.href());
    return new URL(src.kind === 'hf-mirror' ? 'https://hf-mirror.com/' : 'https://huggingface.co/');
  }

  /**
   * Before anything may download: the source is one this copy allows (its CSP), offline mode
   * permits it, and the model fits the storage left (else ask). `action` runs when all is well.
   */
  async guarded(action: () => unknown, skipQuota = false) {
    const s = this.settings;
    s.save(this.#env.storage);
    this.quotaPrompt = null;
    const url = this.#sourceUrl();
    const page = new URL(this.#env.href());
    const policy = this.#env.policy();
    if (policy && !connectAllowed(policy, url.href, page.origin)) {
      this.notice = { key: 'errSourceBlocked', params: { host: url.host } };
      return;
    }
    const model = this.ws.model;
    const loadedAlready = model.loaded?.modelId === s.requestedModelId;
    const stored = loadedAlready || s.sourceKind === 'folder' || (await isStored(s.modelId).catch(() => false));
    if (s.offline && url.origin !== page.origin && !stored) {
      this.notice = { key: 'errOfflineMode', params: { host: url.host } };
      return;
    }
    const catalog = s.sourceKind === 'folder' ? undefined : catalogEntry(s.modelId);
    if (!skipQuota && !stored && catalog) {
      const size = estimateDownloadBytes(catalog, model.planned(s.device, s.dtype));
      const u = await usage().catch(() => null);
      if (u && u.quota > 0 && u.quota - u.used < size) {
        this.quotaPrompt = { params: { model: s.modelId, size: formatBytes(size), free: formatBytes(Math.max(0, u.quota - u.used)) }, proceed: () => void this.guarded(action, true) };
        return;
      }
    }
    await action();
  }

  dismissNotice() {
    this.notice = null;
    this.ws.dismissError();
  }

  load() {
    return this.guarded(() => this.ws.load(this.request()));
  }

  /** One file is transcribed at once; several (or a folder) go into the queue. */
  pick(files: File[]) {
    const queue = this.ws.queue;
    const queueInUse = queue.items.some((i) => i.state === 'queued' || i.state === 'running');
    if (files.length === 1 && !queueInUse) {
      this.pendingFile = files[0];
      return;
    }
    // Picking again replaces a single pick, as it does for one file.
    this.pendingFile = null;
    void queue.add(files);
  }

  /** Files waiting in the queue (not running, not finished). */
  get queueWaiting(): number {
    return this.ws.queue.items.filter((i) => i.state === 'queued').length;
  }

  /** Transcribe: the picked file, or the waiting queue. */
  start() {
    const queue = this.ws.queue;
    if (this.queueWaiting && (!queue.active || queue.paused)) {
      return this.guarded(() => {
        this.ws.dismissError();
        queue.start({ request: this.request(), options: this.jobOptions() });
      });
    }
    const file = this.pendingFile;
    if (!file) return Promise.resolve();
    return this.guarded(async () => {
      const hash = await this.#hashOf(file).catch(() => undefined);
      await this.ws.transcribeFile(file, this.request(), this.jobOptions({ contentHash: hash, settingsKey: this.#settingsKey() }));
    });
  }

  #speakerModels() {
    return speakerModelBases(this.settings.sourceKind, this.settings.customBaseUrl, this.#env.href());
  }

  record() {
    const s = this.settings;
    const speakerModels = s.liveSpeakers ? { speakerModels: this.#speakerModels() } : {};
    return this.guarded(() => this.ws.record(this.request(), { language: s.language, task: s.task, prompt: s.prompt, context: s.context, ...speakerModels }, s.microphoneId));
  }

  findSpeakers() {
    return this.ws.findSpeakers(this.#speakerModels());
  }

  /** Continue a history entry from its saved text, with the settings it was started with. */
  async resume(entry: HistoryEntry) {
    const audio = await this.ws.history.audio(entry.id);
    if (!audio) return;
    const s = this.settings;
    s.modelId = entry.model;
    s.language = entry.options.language;
    s.prompt = entry.options.prompt;
    const file = new File([audio], entry.name, { type: audio.type });
    await this.guarded(() =>
      this.ws.transcribeFile(file, this.request(), this.jobOptions({ language: entry.options.language, task: entry.task, prompt: entry.options.prompt }), { id: entry.id, segments: entry.segments, from: entry.completedUntil }),
    );
  }

  /** The error's Resume: the job the engine's crash or hang interrupted goes on from its saved text. */
  async resumeInterrupted(id: string | null) {
    const entry = id ? await this.ws.history.get(id) : undefined;
    if (entry) await this.resume(entry);
  }

  /** Show a finished (or failed) queue item's transcript. */
  async openQueued(item: QueueItem) {
    const entry = item.entryId ? await this.ws.history.get(item.entryId) : undefined;
    if (entry) await this.ws.show(entry);
  }

  async downloadRecording(entry: HistoryEntry) {
    const audio = await this.ws.history.audio(entry.id);
    if (audio) saveBlob(audio, entry.name.endsWith('.wav') ? entry.name : `${entry.name}.wav`);
  }

  /** Every finished file of the queue, in the chosen formats, as one zip. */
  async exportAll(formats: ExportFormat[]) {
    const history = this.ws.history;
    try {
      const entries = (await Promise.all(this.ws.queue.items.filter((i) => i.state === 'done' && i.entryId).map((i) => history.get(i.entryId!)))).filter((e) => !!e);
      const zip = await exportAllZip(entries, formats);
      saveBlob(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `earshot-${new Date().toISOString().slice(0, 10)}.zip`);
    } catch (err) {
      this.notice = { key: 'errExport', params: { message: (err as Error).message } };
    }
  }

  /** The fine-tuning dataset of the segments a person checked. */
  async exportDataset() {
    this.exporting = true;
    try {
      const out = await this.ws.datasetZip();
      if (out) saveBlob(out.blob, out.name);
    } finally {
      this.exporting = false;
    }
  }
}
