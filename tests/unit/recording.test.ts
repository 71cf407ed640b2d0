/**
 * The live session's recording on a file (workers/asr/live/recording.ts), against a stand-in for
 * the origin-private file system's sync access handle: the WAV a user downloads holds every
 * captured sample in order, written about once a second rather than once a frame, and a disk
 * that fills mid-session loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { OPFS_WRITE_SAMPLES, OpfsRecording, type SyncAccessHandle } from '../../workers/asr/live/recording';

const FRAME = 512; // what the capture worklet posts every 32 ms

/** A file in memory; `failAfter`: writes after this many throw as a full disk does. */
function fakeFile(failAfter = Infinity) {
  let bytes = new Uint8Array(0);
  const state = { writes: 0, closed: false };
  const handle: SyncAccessHandle = {
    write(buffer, { at }) {
      if (state.writes >= failAfter) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      state.writes++;
      const src = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      if (at + src.length > bytes.length) {
        const grown = new Uint8Array(at + src.length);
        grown.set(bytes);
        bytes = grown;
      }
      bytes.set(src, at);
      return src.length;
    },
    flush() {},
    close() {
      state.closed = true;
    },
  };
  const file = { getFile: async () => new File([bytes.slice()], 'live.pcm') };
  return { handle, file, state };
}

/** Frames of a ramp: sample n is (n mod 20000) / 20000, so order and loss both show. */
function frames(count: number): Float32Array[] {
  return Array.from({ length: count }, (_, f) => Float32Array.from({ length: FRAME }, (_, i) => ((f * FRAME + i) % 20_000) / 20_000));
}

async function samplesOf(wav: Blob): Promise<Int16Array> {
  const buf = await wav.arrayBuffer();
  const view = new DataView(buf);
  expect(String.fromCharCode(...new Uint8Array(buf, 0, 4))).toBe('RIFF');
  const dataBytes = view.getUint32(40, true);
  expect(buf.byteLength).toBe(44 + dataBytes); // the header says what the file holds
  return new Int16Array(buf.slice(44));
}

function expectRamp(pcm: Int16Array, count: number) {
  expect(pcm.length).toBe(count);
  for (let n = 0; n < count; n++) {
    const want = Math.round(Math.fround((n % 20_000) / 20_000) * 0x7fff); // as Float32Array holds it
    if (pcm[n] !== want) throw new Error(`sample ${n}: ${pcm[n]}, expected ${want}`);
  }
}

describe('live recording on the origin-private file system', () => {
  it('keeps every sample in order, writing about once a second rather than once a frame', async () => {
    const { handle, file, state } = fakeFile();
    const r = new OpfsRecording(file, handle);
    const all = frames(200); // 6.4 s
    for (const f of all) r.append(f);
    expect(r.samples).toBe(200 * FRAME);
    expect(state.writes).toBe(Math.floor((200 * FRAME) / (Math.ceil(OPFS_WRITE_SAMPLES / FRAME) * FRAME)));
    expect(state.writes).toBeLessThan(10);
    const wav = await r.finish();
    expect(state.closed).toBe(true);
    expectRamp(await samplesOf(wav), 200 * FRAME); // the last, unwritten part too
  });

  it('a disk that fills mid-session: what could not be written is kept in memory, nothing lost', async () => {
    const { handle, file, state } = fakeFile(2);
    const r = new OpfsRecording(file, handle);
    for (const f of frames(300)) r.append(f);
    expect(state.writes).toBe(2);
    expect(r.samples).toBe(300 * FRAME);
    expectRamp(await samplesOf(await r.finish()), 300 * FRAME);
  });
});
