/**
 * The one place the main thread talks to the ASR worker. Wraps it with comlink once, and
 * turns a crashed worker (out of memory, a wasm abort) into a rejected call plus a fresh
 * worker, instead of calls that never settle.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { AsrApi, DecodedAudio, DiarizeProgress, DiarizeRequest, LiveOptions, LiveUpdate, LoadProgress, LoadRequest, TranscribeRequest, TranscribeUpdate } from '../../workers/asr/protocol';

export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashed';
}

export class AsrClient {
  #worker!: Worker;
  #api!: Remote<AsrApi>;
  #crashed!: Promise<never>;
  #onCrash: (reason: string) => void;

  constructor(onCrash: (reason: string) => void) {
    this.#onCrash = onCrash;
    this.#start();
  }

  #start() {
    this.#worker = new Worker(new URL('../../workers/asr/asr.worker.ts', import.meta.url), { type: 'module', name: 'asr' });
    this.#api = wrap<AsrApi>(this.#worker);
    this.#crashed = new Promise<never>((_, reject) => {
      const fail = (reason: string) => {
        reject(new WorkerCrashedError(reason));
        this.#restart(reason);
      };
      this.#worker.addEventListener('error', (e) => fail(e.message || 'worker error'), { once: true });
      this.#worker.addEventListener('messageerror', () => fail('message could not be read'), { once: true });
    });
    this.#crashed.catch(() => {}); // handled per call
  }

  #restart(reason: string) {
    try {
      this.#api[releaseProxy]();
    } catch {
      /* already gone */
    }
    this.#worker.terminate();
    this.#start();
    this.#onCrash(reason);
  }

  /** Race every call against the worker dying, so no promise is left pending forever. */
  #call<T>(fn: (api: Remote<AsrApi>) => Promise<T>): Promise<T> {
    return Promise.race([fn(this.#api), this.#crashed]);
  }

  capabilities() {
    return this.#call((api) => api.capabilities());
  }

  load(request: LoadRequest, onProgress: (p: LoadProgress) => void) {
    return this.#call((api) => api.load(request, proxy(onProgress)));
  }

  prepareAudio(audio: DecodedAudio) {
    return this.#call((api) => api.prepareAudio(transfer(audio, audio.channels.map((c) => c.buffer))));
  }

  transcribe(request: TranscribeRequest, onUpdate: (u: TranscribeUpdate) => void) {
    return this.#call((api) => api.transcribe(transfer(request, [request.audio.buffer]), proxy(onUpdate)));
  }

  diarize(request: DiarizeRequest, onProgress: (p: DiarizeProgress) => void) {
    return this.#call((api) => api.diarize(transfer(request, [request.audio.buffer]), proxy(onProgress)));
  }

  liveStart(port: MessagePort, options: LiveOptions, onUpdate: (u: LiveUpdate) => void) {
    return this.#call((api) => api.liveStart(transfer(port, [port]), options, proxy(onUpdate)));
  }

  livePause() {
    return this.#call((api) => api.livePause());
  }

  liveResume() {
    return this.#call((api) => api.liveResume());
  }

  liveStop() {
    return this.#call((api) => api.liveStop());
  }

  cancel(jobId: number) {
    return this.#call((api) => api.cancel(jobId));
  }
}
