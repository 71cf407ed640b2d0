/**
 * The live session's audio, kept as 16-bit PCM at 16 kHz while it is captured.
 *
 * Preferred store: a file in the origin-private file system written through a synchronous
 * access handle (dedicated workers only): memory stays flat however long the session, and what
 * was captured is on disk if the tab dies. Fallback (no OPFS, or it refused, e.g. storage full):
 * memory, 1.9 MB per minute.
 */
import { WHISPER_SAMPLE_RATE_HZ } from '../../../src/domain/audio/constants';
import { floatToInt16, wavHeader } from '../../../src/domain/audio/wav';

export interface Recording {
  readonly kind: 'opfs' | 'memory';
  /** Samples written so far. */
  readonly samples: number;
  append(samples: Float32Array): void;
  /** Close the store and return the whole recording as a WAV file. */
  finish(): Promise<Blob>;
}

const DIR = 'recordings';

export interface SyncAccessHandle {
  write(buffer: ArrayBufferView, options: { at: number }): number;
  flush(): void;
  close(): void;
}

/**
 * Samples held in memory before one write to the file (1 s). Each `write()` on a sync access
 * handle costs about 1–4 ms in Chromium whatever its size, and the worker that records is the one
 * that decodes: written every 32 ms frame, the recording took an eighth of the worker's time,
 * most of it between the decoder steps of the pass a final waits for. At most this much is
 * lost if the tab dies.
 */
export const OPFS_WRITE_SAMPLES = WHISPER_SAMPLE_RATE_HZ;

export class OpfsRecording implements Recording {
  readonly kind = 'opfs';
  /** Samples in the file. */
  #written = 0;
  #pending: Int16Array<ArrayBuffer>[] = [];
  #pendingSamples = 0;
  #failed: MemoryRecording | null = null;
  constructor(
    private readonly file: Pick<FileSystemFileHandle, 'getFile'>,
    private readonly handle: SyncAccessHandle,
  ) {}

  get samples() {
    return this.#written + this.#pendingSamples + (this.#failed?.samples ?? 0);
  }

  append(samples: Float32Array) {
    if (this.#failed) return this.#failed.append(samples);
    this.#pending.push(floatToInt16(samples) as Int16Array<ArrayBuffer>);
    this.#pendingSamples += samples.length;
    if (this.#pendingSamples >= OPFS_WRITE_SAMPLES) this.#write();
  }

  #write() {
    if (!this.#pendingSamples) return;
    const pcm = new Int16Array(this.#pendingSamples);
    let at = 0;
    for (const chunk of this.#pending) {
      pcm.set(chunk, at);
      at += chunk.length;
    }
    const chunks = this.#pending;
    this.#pending = [];
    this.#pendingSamples = 0;
    try {
      this.handle.write(pcm, { at: this.#written * 2 });
      this.#written += pcm.length;
    } catch {
      // Storage full mid-session: keep going in memory rather than lose audio. What is on disk
      // stays; the memory part continues after it, from the samples this write could not store.
      this.#failed = new MemoryRecording();
      for (const chunk of chunks) this.#failed.appendPcm(chunk);
    }
  }

  async finish(): Promise<Blob> {
    this.#write(); // nothing is pending once the recording has moved to memory
    this.handle.flush();
    this.handle.close();
    const onDisk = (await this.file.getFile()).slice(0, this.#written * 2);
    const tail = this.#failed ? this.#failed.pcm() : [];
    return new Blob([wavHeader(this.samples, WHISPER_SAMPLE_RATE_HZ), onDisk, ...tail], { type: 'audio/wav' });
  }
}

export class MemoryRecording implements Recording {
  readonly kind = 'memory';
  samples = 0;
  #chunks: Int16Array<ArrayBuffer>[] = [];
  append(samples: Float32Array) {
    this.appendPcm(floatToInt16(samples) as Int16Array<ArrayBuffer>);
  }
  appendPcm(pcm: Int16Array<ArrayBuffer>) {
    this.#chunks.push(pcm);
    this.samples += pcm.length;
  }
  pcm(): Int16Array<ArrayBuffer>[] {
    return this.#chunks;
  }
  async finish(): Promise<Blob> {
    return new Blob([wavHeader(this.samples, WHISPER_SAMPLE_RATE_HZ), ...this.#chunks], { type: 'audio/wav' });
  }
}

/**
 * A new recording. Earlier sessions' files are removed first: until the history of issue #4
 * keeps them, only the latest session's recording is offered, so older ones would only fill
 * the disk unseen.
 */
export async function createRecording(): Promise<Recording> {
  try {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(DIR, { recursive: true }).catch(() => {});
    const dir = await root.getDirectoryHandle(DIR, { create: true });
    const file = await dir.getFileHandle(`live-${Date.now()}.pcm`, { create: true });
    const handle = await (file as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }).createSyncAccessHandle();
    return new OpfsRecording(file, handle);
  } catch {
    return new MemoryRecording();
  }
}
