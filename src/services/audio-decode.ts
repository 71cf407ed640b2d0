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
    readonly kind: 'empty' | 'undecodable' | 'too-long' | 'unreadable',
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

/**
 * Our own reader for the PCM WAVs browsers refuse: 64-bit float (Chromium decodes only up to 32),
 * and a header whose data size is larger than the file (a recorder that died before it wrote
 * the real size — the audio that is there is still good). Written here because it is ~30 lines
 * and no WAV library handles the second case; everything else is left to the browser.
 */
export function readPcmWav(head: Uint8Array): DecodedAudio | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const ascii = (from: number) => String.fromCharCode(...head.subarray(from, from + 4));
  if (head.length < 12 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') return null;
  let format = 0, channelCount = 0, sampleRate = 0, bits = 0;
  for (let offset = 12; offset + 8 <= head.length; ) {
    const id = ascii(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= head.length) {
      format = view.getUint16(body, true);
      channelCount = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      const float = format === 3 && (bits === 32 || bits === 64);
      const int = format === 1 && [8, 16, 24, 32].includes(bits);
      if ((!float && !int) || channelCount < 1 || sampleRate < 1) return null;
      const step = bits / 8;
      const frames = Math.floor(Math.min(size, head.length - body) / (step * channelCount));
      const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
      for (let i = 0, p = body; i < frames; i++) {
        for (let c = 0; c < channelCount; c++, p += step) {
          let v: number;
          if (float) v = bits === 64 ? view.getFloat64(p, true) : view.getFloat32(p, true);
          else if (bits === 8) v = (head[p] - 128) / 128;
          else if (bits === 16) v = view.getInt16(p, true) / 32768;
          else if (bits === 24) v = ((head[p] | (head[p + 1] << 8) | (head[p + 2] << 16)) << 8 >> 8) / 8388608;
          else v = view.getInt32(p, true) / 2147483648;
          channels[c][i] = v;
        }
      }
      return { channels, sampleRate };
    } else if (size > head.length) {
      return null;
    }
    offset = body + size + (size % 2);
  }
  return null;
}

/**
 * Whether a WAV's header promises more audio than the file holds (copied or recorded only in
 * part): what is there can still be read, but if that is next to nothing the file is damaged,
 * not silent.
 */
export function wavCutShort(head: Uint8Array, fileBytes: number): boolean {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const ascii = (from: number) => String.fromCharCode(...head.subarray(from, from + 4));
  if (head.length < 12 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') return false;
  if (view.getUint32(4, true) + 8 > fileBytes) return true;
  for (let offset = 12; offset + 8 <= head.length; ) {
    const size = view.getUint32(offset + 4, true);
    if (ascii(offset) === 'data') return offset + 8 + size > fileBytes;
    offset += 8 + size + (size % 2);
  }
  // The header ends before its data chunk: cut inside the header.
  return true;
}

/** Less audio than this is nothing to transcribe (Whisper's features are 10 ms frames; a word takes 100s of ms). */
const MIN_SECONDS = 0.1;

const yieldToPage = () => new Promise<void>((r) => setTimeout(r, 0));

export async function decodeFile(file: Blob & { name?: string }): Promise<DecodedAudio> {
  const name = file.name ?? 'file';
  if (file.size === 0) throw new AudioDecodeError('empty', `${name} is empty`);
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    // Too big to hold in memory at once (Chromium refuses ~2 GB), or the file went away.
    throw new AudioDecodeError('unreadable', `${name}: ${(err as Error)?.message ?? 'cannot read'}`);
  }
  const sniffed = sniffSampleRate(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 4096)));
  // Browsers accept 3 kHz..768 kHz for contexts; outside that let the browser resample.
  const rate = sniffed && sniffed >= 8000 && sniffed <= 192_000 ? sniffed : DEFAULT_RATE_HZ;
  const context = new OfflineAudioContext(1, 1, rate);
  let buffer: AudioBuffer | DecodedAudio;
  try {
    buffer = await context.decodeAudioData(bytes);
  } catch (err) {
    // decodeAudioData detached `bytes`; a File can be read again.
    const wav = sniffed ? readPcmWav(new Uint8Array(await file.arrayBuffer())) : null;
    if (!wav) throw new AudioDecodeError('undecodable', `${name}: ${(err as Error)?.message ?? 'cannot decode'}`);
    buffer = wav;
  }
  const seconds = buffer instanceof AudioBuffer ? buffer.duration : (buffer.channels[0]?.length ?? 0) / buffer.sampleRate;
  if (seconds < MIN_SECONDS && sniffed && wavCutShort(new Uint8Array(await file.slice(0, 4096).arrayBuffer()), file.size)) {
    throw new AudioDecodeError('undecodable', `${name} is cut short: its header promises audio the file does not hold`);
  }
  if (!(buffer instanceof AudioBuffer)) {
    const frames = buffer.channels[0]?.length ?? 0;
    if (frames === 0) throw new AudioDecodeError('empty', `${name} has no audio`);
    if (frames / buffer.sampleRate > MAX_SECONDS) throw new AudioDecodeError('too-long', `${name} is too long`, Math.round(frames / buffer.sampleRate / 60));
    return buffer;
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
