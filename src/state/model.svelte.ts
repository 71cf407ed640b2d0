/**
 * The model session: the one worker, what it has loaded, the download in progress, and what the
 * browser can do. It resolves device and dtype (with `plannedDtypes`), loads, and says when the
 * worker crashed. Jobs borrow its client; it knows nothing of transcripts.
 *
 * When the worker dies or hangs with a model loaded, the model is loaded again in the fresh
 * worker at once (from the browser's cache: no download), so what the user does next — resume,
 * the queue's next file — finds it ready.
 */
import { plannedDtypes, type DeviceChoice, type Dtypes, type DtypeChoice } from '../domain/models/dtypes';
import type { Capabilities, LoadedModel, LoadProgress, LoadRequest } from '../../workers/asr/protocol';
import { AsrClient, type CrashReason } from '../services/asr-client';
import { uiErrorFor, type UiError } from './errors';

export type LoadOutcome = { ok: true; model: LoadedModel } | { ok: false; error: UiError | null };

/** A request as a comparable string (a folder's files by name, size and date). */
function requestKey(r: LoadRequest): string {
  return JSON.stringify(r, (_, v) => (v instanceof File ? `${v.name}:${v.size}:${v.lastModified}` : v));
}

export class ModelSession {
  #client: AsrClient;
  #loaded = $state.raw<LoadedModel | null>(null);
  #progress = $state.raw<LoadProgress | null>(null);
  #loading = $state(false);
  #capabilities = $state.raw<Capabilities | null>(null);
  #loadedRequest: LoadRequest | null = null;
  #crashListeners = new Set<(reason: CrashReason) => void>();
  /** The load in flight, so a second caller with the same request waits for it instead of racing it. */
  #inflight: { key: string; outcome: Promise<LoadOutcome> } | null = null;

  /** `client`: the worker's client, made with the crash handler (a test passes a fake one). */
  constructor(client: (onCrash: (reason: CrashReason) => void) => AsrClient = (onCrash) => new AsrClient(onCrash)) {
    this.#client = client((reason) => {
      // The worker died and was restarted empty: nothing is loaded any more.
      const reload = this.#loaded ? this.#loadedRequest : null;
      this.#loaded = null;
      this.#loadedRequest = null;
      this.#loading = false;
      this.#inflight = null;
      for (const fn of this.#crashListeners) fn(reason);
      if (reload) void this.load(reload);
    });
  }

  /** The worker, for jobs. */
  get client() {
    return this.#client;
  }

  get loaded() {
    return this.#loaded;
  }

  get loading() {
    return this.#loading;
  }

  get progress() {
    return this.#progress;
  }

  get capabilities() {
    return this.#capabilities;
  }

  /** 0..1 of the model download, over all files seen so far. */
  get downloadFraction(): number {
    const files = Object.values(this.#progress?.files ?? {});
    const total = files.reduce((s, f) => s + f.total, 0);
    return total > 0 ? files.reduce((s, f) => s + Math.min(f.loaded, f.total), 0) / total : 0;
  }

  /** Called when the worker dies or hangs; returns the unsubscribe function. */
  onCrash(fn: (reason: CrashReason) => void): () => void {
    this.#crashListeners.add(fn);
    return () => this.#crashListeners.delete(fn);
  }

  /** Start a fresh, empty worker (after an allocation failure); the model must be loaded again. */
  recycle() {
    this.#loaded = null;
    this.#loadedRequest = null;
    this.#client.recycle();
  }

  async probe(): Promise<Capabilities | null> {
    try {
      this.#capabilities = await this.#client.capabilities();
    } catch {
      this.#capabilities = null;
    }
    return this.#capabilities;
  }

  /** The dtypes a load with these choices will most likely use (for size estimates). */
  planned(device: DeviceChoice, dtype: DtypeChoice): Dtypes {
    return plannedDtypes(device, dtype, { webgpu: this.#capabilities?.webgpu ?? false, shaderF16: this.#capabilities?.shaderF16 ?? false });
  }

  load(request: LoadRequest): Promise<LoadOutcome> {
    const key = requestKey(request);
    if (this.#loadedRequest && this.#loaded && requestKey(this.#loadedRequest) === key) return Promise.resolve({ ok: true, model: this.#loaded });
    if (this.#inflight?.key === key) return this.#inflight.outcome;
    const outcome = this.#load(request);
    const inflight = (this.#inflight = { key, outcome });
    void outcome.finally(() => {
      if (this.#inflight === inflight) this.#inflight = null;
    });
    return outcome;
  }

  async #load(request: LoadRequest, again = true): Promise<LoadOutcome> {
    this.#loading = true;
    this.#progress = null;
    this.#loaded = null;
    try {
      const model = await this.#client.load(request, (p) => (this.#progress = p));
      this.#loaded = model;
      this.#loadedRequest = request;
      return { ok: true, model };
    } catch (err) {
      this.#loadedRequest = null;
      if ((err as Error).name === 'WorkerCrashed') return { ok: false, error: null };
      if ((err as Error).name === 'CacheRemoved' && again) {
        // The cached copy was damaged and is gone: download it again, in a fresh worker (the
        // failed load may have left work running in the old one's ONNX Runtime).
        this.recycle();
        return this.#load(request, false);
      }
      // A heap that could not grow stays at its high-water mark: try again in a fresh worker.
      if ((err as Error).name === 'OutOfMemory') this.recycle();
      return { ok: false, error: uiErrorFor(err as Error, request.modelId) };
    } finally {
      this.#loading = false;
    }
  }
}
