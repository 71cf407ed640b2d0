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

interface SyncAccessHandle {
  write(buffer: ArrayBufferView, options: { at: number }): number;
  flush(): void;
  close(): void;
}

class OpfsRecording implements Recording {
  readonly kind = 'opfs';
  samples = 0;
  #failed: Recording | null = null;
  constructor(
    private readonly file: FileSystemFileHandle,
    private readonly handle: SyncAccessHandle,
  ) {}

  append(samples: Float32Array) {
    if (this.#failed) return this.#failed.append(samples);
    const pcm = floatToInt16(samples);
    try {
      this.handle.write(pcm, { at: this.samples * 2 });
      this.samples += samples.length;
    } catch {
      // Storage full mid-session: keep going in memory rather than lose audio. What is on disk
      // stays; the memory part continues after it.
      this.#failed = new MemoryRecording();
      this.#failed.append(samples);
    }
  }

  async finish(): Promise<Blob> {
    this.handle.flush();
    this.handle.close();
    const onDisk = await this.file.getFile();
    const tail = this.#failed ? await (this.#failed as MemoryRecording).pcm() : [];
    const total = this.samples + (this.#failed?.samples ?? 0);
    return new Blob([wavHeader(total, WHISPER_SAMPLE_RATE_HZ), onDisk, ...tail], { type: 'audio/wav' });
  }
}

class MemoryRecording implements Recording {
  readonly kind = 'memory';
  samples = 0;
  #chunks: Int16Array<ArrayBuffer>[] = [];
  append(samples: Float32Array) {
    this.#chunks.push(floatToInt16(samples) as Int16Array<ArrayBuffer>);
    this.samples += samples.length;
  }
  async pcm(): Promise<Int16Array<ArrayBuffer>[]> {
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
