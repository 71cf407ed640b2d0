import { describe, expect, it } from 'vitest';
import { MixedRadixFft, RealPowerSpectrum, isSmoothLength } from '../../src/domain/audio/fft';
import { LogMel } from '../../src/domain/audio/log-mel';

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 2 ** 32 - 0.5;
  };
}

/** The definition, O(n²). */
function naiveDft(re: Float64Array, im: Float64Array) {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n;
      outRe[k] += re[t] * Math.cos(a) - im[t] * Math.sin(a);
      outIm[k] += re[t] * Math.sin(a) + im[t] * Math.cos(a);
    }
  }
  return { outRe, outIm };
}

describe('mixed-radix FFT', () => {
  it('equals the DFT for every length made of 2, 3, 4 and 5, Whisper’s 200 and 400 among them', () => {
    const rand = prng(7);
    for (const n of [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25, 27, 30, 50, 60, 100, 200, 400]) {
      const re = Float64Array.from({ length: n }, rand);
      const im = Float64Array.from({ length: n }, rand);
      const want = naiveDft(re, im);
      const gotRe = new Float64Array(n);
      const gotIm = new Float64Array(n);
      new MixedRadixFft(n).transform(re, im, gotRe, gotIm);
      let err = 0;
      for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(gotRe[k] - want.outRe[k]), Math.abs(gotIm[k] - want.outIm[k]));
      expect(err, `n = ${n}`).toBeLessThan(1e-9 * n);
    }
  });

  it('gives the power spectrum of a real frame, bins 0 … N/2', () => {
    const rand = prng(11);
    for (const n of [2, 6, 10, 40, 400]) {
      const x = Float64Array.from({ length: n }, rand);
      const want = naiveDft(x, new Float64Array(n));
      const got = new Float64Array(n / 2 + 1);
      new RealPowerSpectrum(n).power(x, got);
      for (let k = 0; k <= n / 2; k++) expect(got[k], `n = ${n}, bin ${k}`).toBeCloseTo(want.outRe[k] ** 2 + want.outIm[k] ** 2, 9);
    }
  });

  it('refuses lengths it cannot factor, so the caller falls back', () => {
    expect(isSmoothLength(400)).toBe(true);
    expect(isSmoothLength(201)).toBe(false);
    expect(() => new MixedRadixFft(7)).toThrow(RangeError);
    expect(LogMel.supports(400)).toBe(true);
    expect(LogMel.supports(402)).toBe(false); // 201 = 3 · 67
    expect(LogMel.supports(401)).toBe(false);
  });
});
