import { describe, expect, it } from 'vitest';
import { Resampler, resample } from '../../src/domain/audio/resample';

function sine(freqHz: number, rateHz: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rateHz * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz);
  return out;
}

/** RMS over the middle of the signal (away from the filter's start-up and tail). */
function rmsMiddle(x: Float32Array): number {
  const from = Math.floor(x.length * 0.2);
  const to = Math.floor(x.length * 0.8);
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (to - from));
}

const db = (ratio: number) => 20 * Math.log10(ratio);

describe('resample to 16 kHz', () => {
  for (const fromHz of [44_100, 48_000]) {
    it(`keeps the passband flat to 7 kHz within 0.1 dB from ${fromHz} Hz`, () => {
      for (const f of [50, 440, 1000, 3000, 5000, 6500, 7000]) {
        const input = sine(f, fromHz, 1);
        const out = resample(input, fromHz, 16_000);
        const gain = db(rmsMiddle(out) / rmsMiddle(input));
        expect(Math.abs(gain), `${f} Hz gain ${gain.toFixed(4)} dB`).toBeLessThan(0.1);
      }
    });

    it(`rejects everything above 8 kHz by at least 60 dB from ${fromHz} Hz`, () => {
      for (const f of [8000, 8500, 10_000, 12_000, 15_000, 20_000]) {
        const input = sine(f, fromHz, 1);
        const out = resample(input, fromHz, 16_000);
        const gain = db(rmsMiddle(out) / rmsMiddle(input));
        expect(gain, `${f} Hz leaks at ${gain.toFixed(1)} dB`).toBeLessThan(-60);
      }
    });
  }

  it('produces the right length and keeps timing (a click stays where it was)', () => {
    const input = new Float32Array(48_000);
    input[24_000] = 1;
    const out = resample(input, 48_000, 16_000);
    expect(out.length).toBe(16_000);
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i]) > Math.abs(out[peak])) peak = i;
    expect(peak).toBe(8_000);
  });

  it('upsamples 8 kHz speech-band audio without loss', () => {
    const input = sine(1000, 8000, 1);
    const out = resample(input, 8000, 16_000);
    expect(out.length).toBe(16_000);
    expect(Math.abs(db(rmsMiddle(out) / rmsMiddle(input)))).toBeLessThan(0.1);
  });

  it('passes 16 kHz through untouched', () => {
    const input = sine(440, 16_000, 0.1);
    expect(resample(input, 16_000, 16_000)).toBe(input);
  });

  it('gives the one-shot result when fed in 128-sample blocks', () => {
    for (const fromHz of [44_100, 48_000, 22_050]) {
      const input = sine(997, fromHz, 0.5);
      const oneShot = resample(input, fromHz, 16_000);
      const streaming = new Resampler(fromHz, 16_000);
      const parts: Float32Array[] = [];
      for (let i = 0; i < input.length; i += 128) parts.push(streaming.process(input.subarray(i, i + 128)));
      parts.push(streaming.flush());
      const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      expect(joined.length).toBe(oneShot.length);
      let maxDiff = 0;
      for (let i = 0; i < joined.length; i++) maxDiff = Math.max(maxDiff, Math.abs(joined[i] - oneShot[i]));
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });

  it('refuses nonsense rates', () => {
    expect(() => new Resampler(0, 16_000)).toThrow(RangeError);
    expect(() => new Resampler(44_100.5, 16_000)).toThrow(RangeError);
  });
});
