/**
 * Finding speakers in the transcript's audio: decode it again, let the worker diarize it, and hand
 * the turns to the document (words to speakers, segments cut at turns; one undo step). Holds
 * progress and the options; the speakers themselves live in the document. The Whisper model stays
 * loaded: diarization runs its own two small models.
 */
import type { LikelyCount, SpeakerCount } from '../../domain/diarization/types';
import type { TranscriptDocument } from '../document.svelte';
import { uiErrorFor, type UiError } from '../errors';
import type { ModelSession } from '../model.svelte';

export type SpeakerCountMode = 'auto' | 'exact' | 'range';
export type SpeakerJobStatus = 'idle' | 'models' | 'running' | 'done' | 'cancelled' | 'failed';

export class SpeakerJob {
  #status = $state<SpeakerJobStatus>('idle');
  #done = $state(0);
  #total = $state(0);
  #seconds = $state(0);
  #likely = $state.raw<LikelyCount | null>(null);
  #jobId = 0;
  #error = $state.raw<UiError | null>(null);
  #model: ModelSession;
  #document: TranscriptDocument;

  mode = $state<SpeakerCountMode>('auto');
  exactly = $state(2);
  min = $state(2);
  max = $state(4);

  constructor(model: ModelSession, document: TranscriptDocument) {
    this.#model = model;
    this.#document = document;
  }

  /** Why the last search failed: the panel shows it beside its button, where the user is looking. */
  get error() {
    return this.#error;
  }

  fail(error: UiError) {
    this.#status = 'failed';
    this.#error = error;
  }

  dismissError() {
    this.#error = null;
  }

  get status() {
    return this.#status;
  }

  get running() {
    return this.#status === 'models' || this.#status === 'running';
  }

  /** 0–1 over the audio's windows. */
  get progress() {
    return this.#total ? this.#done / this.#total : 0;
  }

  /** How sure the last run's count is (null: the user gave the number). */
  get likely() {
    return this.#likely;
  }

  /** Wall time of the last finished run. */
  get seconds() {
    return this.#seconds;
  }

  get count(): SpeakerCount {
    const n = (x: number) => Math.max(1, Math.min(20, Math.round(Number(x) || 1)));
    if (this.mode === 'exact') return { exactly: n(this.exactly) };
    if (this.mode === 'range') return { min: Math.min(n(this.min), n(this.max)), max: Math.max(n(this.min), n(this.max)) };
    return {};
  }

  /**
   * Diarize the audio the document is of and apply the speakers to it. `withAudio` runs a call
   * with the worker's handle of that audio (decoding it first only if the worker does not keep it).
   */
  async run(withAudio: <T>(use: (audio: string) => Promise<T>) => Promise<T>, modelBases: readonly string[]) {
    if (this.running) return;
    const jobId = ++this.#jobId;
    const entry = this.#document.meta.entryId;
    this.#status = 'models';
    this.#error = null;
    this.#done = 0;
    this.#total = 0;
    try {
      const result = await withAudio((audio) =>
        this.#model.client.diarize({ jobId, audio, modelBases: [...modelBases], count: this.count }, (p) => {
          if (jobId !== this.#jobId) return;
          this.#status = p.phase === 'models' ? 'models' : 'running';
          this.#done = p.windows;
          this.#total = p.total;
        }),
      );
      if (jobId !== this.#jobId) return;
      if (result.cancelled) {
        this.#status = 'cancelled';
        return;
      }
      // The document may have moved on to another transcript meanwhile: then nothing is applied.
      if (this.#document.meta.entryId !== entry) {
        this.#status = 'idle';
        return;
      }
      this.#document.applySpeakers(result.turns);
      this.#seconds = result.seconds;
      this.#likely = result.likely;
      this.#status = 'done';
    } catch (err) {
      if (jobId !== this.#jobId) return;
      const e = err as Error;
      this.fail(e.name === 'SpeakerModelsMissing' ? { key: 'errSpeakerModels', params: { url: modelBases.join(' | ') } } : uiErrorFor(e, this.#model.loaded?.modelId ?? ''));
    }
  }

  cancel() {
    if (this.running) void this.#model.client.cancel(this.#jobId).catch(() => {});
  }

  /** Another transcript is shown: forget the last run's state. */
  reset() {
    if (this.running) this.cancel();
    this.#jobId++;
    this.#status = 'idle';
    this.#error = null;
  }
}
