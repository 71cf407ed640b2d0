/**
 * The one place the main thread talks to the ASR worker. Wraps it with comlink once, and turns
 * a worker that died (out of memory, a wasm abort: an `error` event) or stopped answering (stuck
 * in a call that never returns, or closed: the watchdog) into rejected calls plus a fresh worker,
 * instead of calls that never settle.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { AsrApi, DecodedAudio, DiarizeProgress, DiarizeRequest, LiveOptions, LiveUpdate, LoadProgress, LoadRequest, TranscribeRequest, TranscribeUpdate } from '../../workers/asr/protocol';

export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashed';
}

/** Why the worker was replaced: it died (`crashed`), or it stopped answering for `seconds` (`hung`). */
export type CrashReason = { kind: 'crashed'; detail: string } | { kind: 'hung'; seconds: number };

/** How often the watchdog pings while a job runs. */
const PING_INTERVAL_MS = 1_000;
/**
 * How long a ping may go unanswered during a job before the worker counts as stuck. The worker
 * answers between decoder steps; its longest legitimate silence is one ONNX Runtime call (a base
 * encoder run: ~1.5 s on 2 cores). The limit grows to 4× the longest silence seen so far, so a
 * big model on a slow device is not taken for hung.
 */
const HUNG_AFTER_MS = 10_000;
/** While a model loads, session creation compiles the graph in one call: allow much longer. */
const HUNG_WHILE_LOADING_MS = 60_000;

type Watch = 'job' | 'load';

export class AsrClient {
  #worker!: Worker;
  #api!: Remote<AsrApi>;
  #crashed!: Promise<never>;
  /** Reject every call in flight, replace the worker, and (`notify`) tell the page. */
  #end!: (reason: CrashReason, notify: boolean) => void;
  #onCrash: (reason: CrashReason) => void;
  /** Calls in flight that the watchdog guards, by kind; a live session counts as a job. */
  #watched = { job: 0, load: 0 };
  #live = false;
  #pingSentAt: number | null = null;
  #longestSilenceMs = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(onCrash: (reason: CrashReason) => void) {
    this.#onCrash = onCrash;
    this.#start();
  }

  #start() {
    this.#worker = new Worker(new URL('../../workers/asr/asr.worker.ts', import.meta.url), { type: 'module', name: 'asr' });
    this.#api = wrap<AsrApi>(this.#worker);
    this.#pingSentAt = null;
    this.#longestSilenceMs = 0;
    let settled = false;
    let rejectCalls!: (err: Error) => void;
    this.#crashed = new Promise<never>((_, reject) => (rejectCalls = reject));
    this.#crashed.catch(() => {}); // handled per call
    this.#end = (reason, notify) => {
      if (settled) return;
      settled = true;
      rejectCalls(new WorkerCrashedError(reason.kind === 'hung' ? `not responding for ${reason.seconds} s` : reason.detail));
      this.#replace();
      if (notify) this.#onCrash(reason);
    };
    const crashed = (detail: string) => this.#end({ kind: 'crashed', detail }, true);
    this.#worker.addEventListener('error', (e) => crashed(e.message || 'worker error'), { once: true });
    this.#worker.addEventListener('messageerror', () => crashed('message could not be read'), { once: true });
  }

  /** Terminate the worker (all its memory goes with it) and start an empty one. */
  #replace() {
    try {
      this.#api[releaseProxy]();
    } catch {
      /* already gone */
    }
    this.#worker.terminate();
    this.#watched = { job: 0, load: 0 };
    this.#live = false;
    this.#stopWatchdog();
    this.#start();
  }

  /**
   * A fresh worker without calling it a crash: after an allocation failure the WASM heap stays at
   * its high-water mark (and may be fragmented), so the next try gets a clean one.
   */
  recycle() {
    this.#end({ kind: 'crashed', detail: 'recycled' }, false);
  }

  #watchdog() {
    if (this.#watched.job + this.#watched.load === 0 && !this.#live) {
      this.#stopWatchdog();
      return;
    }
    const now = performance.now();
    if (this.#pingSentAt !== null) {
      const silent = now - this.#pingSentAt;
      const limit = this.#watched.load > 0 ? HUNG_WHILE_LOADING_MS : Math.max(HUNG_AFTER_MS, 4 * this.#longestSilenceMs);
      if (silent > limit) this.#end({ kind: 'hung', seconds: Math.round(silent / 1000) }, true);
      return;
    }
    const sentAt = (this.#pingSentAt = now);
    const api = this.#api;
    api.ping().then(
      () => {
        if (api !== this.#api) return;
        this.#longestSilenceMs = Math.max(this.#longestSilenceMs, performance.now() - sentAt);
        this.#pingSentAt = null;
      },
      () => {},
    );
  }

  #startWatchdog() {
    this.#timer ??= setInterval(() => this.#watchdog(), PING_INTERVAL_MS);
  }

  #stopWatchdog() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#pingSentAt = null;
  }

  /** Race every call against the worker dying, so no promise is left pending forever. */
  #call<T>(fn: (api: Remote<AsrApi>) => Promise<T>, watch?: Watch): Promise<T> {
    const call = Promise.race([fn(this.#api), this.#crashed]);
    if (!watch) return call;
    const counts = this.#watched;
    counts[watch]++;
    this.#startWatchdog();
    return call.finally(() => counts[watch]--);
  }

  capabilities() {
    return this.#call((api) => api.capabilities());
  }

  load(request: LoadRequest, onProgress: (p: LoadProgress) => void) {
    return this.#call((api) => api.load(request, proxy(onProgress)), 'load');
  }

  prepareAudio(audio: DecodedAudio) {
    return this.#call((api) => api.prepareAudio(transfer(audio, audio.channels.map((c) => c.buffer))));
  }

  audioSamples(handle: string) {
    return this.#call((api) => api.audioSamples(handle));
  }

  transcribe(request: TranscribeRequest, onUpdate: (u: TranscribeUpdate) => void) {
    return this.#call((api) => api.transcribe(request, proxy(onUpdate)), 'job');
  }

  diarize(request: DiarizeRequest, onProgress: (p: DiarizeProgress) => void) {
    return this.#call((api) => api.diarize(request, proxy(onProgress)), 'job');
  }

  async liveStart(port: MessagePort, options: LiveOptions, onUpdate: (u: LiveUpdate) => void) {
    await this.#call((api) => api.liveStart(transfer(port, [port]), options, proxy(onUpdate)), 'job');
    // The session runs in the worker between calls: watch it until it stops.
    this.#live = true;
    this.#startWatchdog();
  }

  livePause() {
    return this.#call((api) => api.livePause());
  }

  liveResume() {
    return this.#call((api) => api.liveResume());
  }

  liveStop() {
    return this.#call((api) => api.liveStop()).finally(() => (this.#live = false));
  }

  cancel(jobId: number) {
    return this.#call((api) => api.cancel(jobId));
  }
}
