/**
 * File → PCM channels. Browsers can only decode in the window (no AudioContext in workers),
 * so this runs here; the expensive downmix/resample then runs in the ASR worker.
 *
 * `decodeAudioData` resamples to its context's rate. To keep the one resampling step ours
 * (the tested, anti-aliased one), the context runs at the file's own rate when the header
 * says it (WAV, FLAC), else at 48 kHz (Opus' native rate, and the usual rate for AAC/MP3 in
 * video). A 44.1 kHz MP3 is thus upsampled by the browser and band-limited by us.
 */
import type { DecodedAudio } from '../../workers/asr/protocol';

/** Samples per channel copied per slice, so big files do not block the page. */
const COPY_SLICE = 1 << 20;
const DEFAULT_RATE_HZ = 48_000;
/** Beyond this the decoded PCM alone needs more than ~1 GB per channel at 48 kHz. */
export const MAX_SECONDS = 4 * 60 * 60;

export class AudioDecodeError extends Error {
  constructor(
    readonly kind: 'empty' | 'undecodable' | 'too-long',
    message: string,
    readonly minutes = 0,
  ) {
    super(message);
    this.name = 'BadAudio';
  }
}

/** Sample rate from a WAV `fmt ` chunk or a FLAC STREAMINFO block, if this is one. */
export function sniffSampleRate(head: Uint8Array): number | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') {
    let offset = 12;
    while (offset + 16 <= head.length) {
      const size = view.getUint32(offset + 4, true);
      if (ascii(offset, offset + 4) === 'fmt ') return view.getUint32(offset + 12, true) || null;
      offset += 8 + size + (size % 2);
    }
    return null;
  }
  if (head.length >= 26 && ascii(0, 4) === 'fLaC') {
    // STREAMINFO: 20 bits of sample rate starting at byte 18 of the file.
    const rate = (head[18] << 12) | (head[19] << 4) | (head[20] >> 4);
    return rate || null;
  }
  return null;
}

const yieldToPage = () => new Promise<void>((r) => setTimeout(r, 0));

export async function decodeFile(file: Blob & { name?: string }): Promise<DecodedAudio> {
  const name = file.name ?? 'file';
  if (file.size === 0) throw new AudioDecodeError('empty', `${name} is empty`);
  const bytes = await file.arrayBuffer();
  const sniffed = sniffSampleRate(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 4096)));
  // Browsers accept 3 kHz..768 kHz for contexts; outside that let the browser resample.
  const rate = sniffed && sniffed >= 8000 && sniffed <= 192_000 ? sniffed : DEFAULT_RATE_HZ;
  const context = new OfflineAudioContext(1, 1, rate);
  let buffer: AudioBuffer;
  try {
    buffer = await context.decodeAudioData(bytes);
  } catch (err) {
    throw new AudioDecodeError('undecodable', `${name}: ${(err as Error)?.message ?? 'cannot decode'}`);
  }
  if (buffer.length === 0 || buffer.numberOfChannels === 0) throw new AudioDecodeError('empty', `${name} has no audio`);
  if (buffer.duration > MAX_SECONDS) {
    throw new AudioDecodeError('too-long', `${name} is too long`, Math.round(buffer.duration / 60));
  }
  const channels: Float32Array[] = [];
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const out = new Float32Array(buffer.length);
    for (let from = 0; from < buffer.length; from += COPY_SLICE) {
      buffer.copyFromChannel(out.subarray(from, Math.min(buffer.length, from + COPY_SLICE)), c, from);
      if (buffer.length > COPY_SLICE) await yieldToPage();
    }
    channels.push(out);
  }
  return { channels, sampleRate: buffer.sampleRate };
}
