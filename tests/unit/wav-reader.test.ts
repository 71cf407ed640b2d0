/**
 * The app's own reader for the WAVs browsers refuse (src/services/audio-decode.ts `readPcmWav`):
 * 64-bit float, and a header that claims more data than the file holds.
 */
import { describe, expect, it } from 'vitest';
import { readPcmWav, wavCutShort } from '../../src/services/audio-decode';

function wav(format: number, bits: number, channels: number, rate: number, samples: number[], claimedBytes?: number): Uint8Array {
  const step = bits / 8;
  const data = new DataView(new ArrayBuffer(samples.length * step));
  samples.forEach((x, i) => {
    if (format === 3 && bits === 64) data.setFloat64(i * step, x, true);
    else if (format === 3) data.setFloat32(i * step, x, true);
    else if (bits === 16) data.setInt16(i * step, Math.round(x * 32767), true);
    else if (bits === 24) {
      const v = Math.round(x * 8388607) & 0xffffff;
      data.setUint8(i * step, v & 0xff);
      data.setUint8(i * step + 1, (v >> 8) & 0xff);
      data.setUint8(i * step + 2, v >> 16);
    } else if (bits === 8) data.setUint8(i * step, Math.round(x * 127 + 128));
  });
  const h = new DataView(new ArrayBuffer(44));
  const text = (at: number, s: string) => [...s].forEach((c, i) => h.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  h.setUint32(4, 36 + (claimedBytes ?? data.byteLength), true);
  text(8, 'WAVEfmt ');
  h.setUint32(16, 16, true);
  h.setUint16(20, format, true);
  h.setUint16(22, channels, true);
  h.setUint32(24, rate, true);
  h.setUint32(28, rate * channels * step, true);
  h.setUint16(32, channels * step, true);
  h.setUint16(34, bits, true);
  text(36, 'data');
  h.setUint32(40, claimedBytes ?? data.byteLength, true);
  const out = new Uint8Array(44 + data.byteLength);
  out.set(new Uint8Array(h.buffer), 0);
  out.set(new Uint8Array(data.buffer), 44);
  return out;
}

describe('readPcmWav', () => {
  it('reads 64-bit float stereo, channel by channel', () => {
    const r = readPcmWav(wav(3, 64, 2, 22050, [0.5, -0.25, 0.125, 1]))!;
    expect(r.sampleRate).toBe(22050);
    expect(r.channels.map((c) => [...c])).toEqual([[0.5, 0.125], [-0.25, 1]]);
  });

  it('keeps the audio a file holds when its header claims 2 GB', () => {
    const r = readPcmWav(wav(1, 16, 1, 16000, [0.5, -0.5, 0.25], 0x7ffffff0))!;
    expect(r.channels[0].length).toBe(3);
    expect(r.channels[0][0]).toBeCloseTo(0.5, 3);
    expect(r.channels[0][1]).toBeCloseTo(-0.5, 3);
  });

  it('reads 8- and 24-bit integers', () => {
    expect(readPcmWav(wav(1, 24, 1, 8000, [-0.5, 0.75]))!.channels[0][0]).toBeCloseTo(-0.5, 5);
    expect(readPcmWav(wav(1, 8, 1, 8000, [0.5]))!.channels[0][0]).toBeCloseTo(0.5, 1);
  });

  it('leaves anything else to the browser: not a WAV, a compressed WAV, no data', () => {
    expect(readPcmWav(new TextEncoder().encode('ID3\u0003 not a wav at all'))).toBeNull();
    expect(readPcmWav(wav(0x55, 16, 1, 16000, [0]))).toBeNull();
    expect(readPcmWav(wav(1, 16, 1, 16000, []).subarray(0, 36))).toBeNull();
  });
});

describe('wavCutShort: a WAV that promises more than it holds is damaged, not silent', () => {
  const whole = wav(1, 16, 1, 16000, new Array(16000).fill(0.1));
  it('knows a whole file', () => {
    expect(wavCutShort(whole, whole.length)).toBe(false);
  });
  it('finds a file cut to 100 bytes, and one cut inside its header', () => {
    expect(wavCutShort(whole.subarray(0, 100), 100)).toBe(true);
    expect(wavCutShort(whole.subarray(0, 30), 30)).toBe(true);
  });
  it('says nothing about what is not a WAV', () => {
    expect(wavCutShort(new TextEncoder().encode('ID3\u0003 an mp3'), 16)).toBe(false);
  });
});

