/**
 * FFTs for the log-mel spectrogram (Whisper: 400-point frames, 25 ms at 16 kHz).
 *
 * Written here rather than taken from a library: the fast JavaScript FFTs (fft.js and its kin)
 * take powers of two only, and a 400-point frame cannot be zero-padded to 512 without moving
 * every bin off Whisper's frequency grid. transformers.js answers that with Bluestein's algorithm
 * over 1 024-point transforms; a mixed-radix transform of the length itself does ~8× less work.
 */

/** Lengths the mixed-radix transform takes: products of 2, 3, 4 and 5. */
export function isSmoothLength(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  for (const p of [2, 3, 5]) while (n % p === 0) n /= p;
  return n === 1;
}

/**
 * Complex FFT of one fixed length (decimation in time, the kissfft scheme: radix 4 first, then 2,
 * 3 and 5, with kissfft's radix-2/4/5 butterflies). `X[k] = Σ x[n]·e^(−2πi·kn/N)`.
 */
export class MixedRadixFft {
  readonly size: number;
  /** Radix and remaining length per stage: [p0, m0, p1, m1, …]. */
  readonly #stages: number[] = [];
  readonly #twRe: Float64Array;
  readonly #twIm: Float64Array;
  readonly #scratchRe = new Float64Array(5);
  readonly #scratchIm = new Float64Array(5);

  constructor(size: number) {
    if (!isSmoothLength(size)) throw new RangeError(`FFT length ${size} is not a product of 2, 3 and 5`);
    this.size = size;
    let n = size;
    for (const p of [4, 2, 3, 5]) {
      while (n % p === 0) {
        n /= p;
        this.#stages.push(p, n);
      }
    }
    this.#twRe = new Float64Array(size);
    this.#twIm = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      this.#twRe[k] = Math.cos((-2 * Math.PI * k) / size);
      this.#twIm[k] = Math.sin((-2 * Math.PI * k) / size);
    }
  }

  transform(inRe: Float64Array, inIm: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    if (this.size === 1) {
      outRe[0] = inRe[0];
      outIm[0] = inIm[0];
      return;
    }
    this.#work(outRe, outIm, 0, inRe, inIm, 0, 1, 0);
  }

  #work(outRe: Float64Array, outIm: Float64Array, out: number, inRe: Float64Array, inIm: Float64Array, at: number, stride: number, stage: number) {
    const p = this.#stages[stage];
    const m = this.#stages[stage + 1];
    const end = out + p * m;
    if (m === 1) {
      for (let o = out, i = at; o < end; o++, i += stride) {
        outRe[o] = inRe[i];
        outIm[o] = inIm[i];
      }
    } else {
      for (let o = out, i = at; o < end; o += m, i += stride) this.#work(outRe, outIm, o, inRe, inIm, i, stride * p, stage + 2);
    }
    this.#butterfly(outRe, outIm, out, stride, p, m);
  }

  #butterfly(re: Float64Array, im: Float64Array, out: number, stride: number, p: number, m: number) {
    if (p === 2) this.#radix2(re, im, out, stride, m);
    else if (p === 4) this.#radix4(re, im, out, stride, m);
    else if (p === 5) this.#radix5(re, im, out, stride, m);
    else this.#generic(re, im, out, stride, p, m);
  }

  #radix2(re: Float64Array, im: Float64Array, out: number, stride: number, m: number) {
    const twRe = this.#twRe;
    const twIm = this.#twIm;
    for (let k = 0; k < m; k++) {
      const a = out + k;
      const b = a + m;
      const w = k * stride;
      const tRe = re[b] * twRe[w] - im[b] * twIm[w];
      const tIm = re[b] * twIm[w] + im[b] * twRe[w];
      re[b] = re[a] - tRe;
      im[b] = im[a] - tIm;
      re[a] += tRe;
      im[a] += tIm;
    }
  }

  #radix4(re: Float64Array, im: Float64Array, out: number, stride: number, m: number) {
    const twRe = this.#twRe;
    const twIm = this.#twIm;
    for (let k = 0; k < m; k++) {
      const i0 = out + k;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      const w1 = k * stride;
      const w2 = 2 * w1;
      const w3 = 3 * w1;
      const s0Re = re[i1] * twRe[w1] - im[i1] * twIm[w1];
      const s0Im = re[i1] * twIm[w1] + im[i1] * twRe[w1];
      const s1Re = re[i2] * twRe[w2] - im[i2] * twIm[w2];
      const s1Im = re[i2] * twIm[w2] + im[i2] * twRe[w2];
      const s2Re = re[i3] * twRe[w3] - im[i3] * twIm[w3];
      const s2Im = re[i3] * twIm[w3] + im[i3] * twRe[w3];
      const s5Re = re[i0] - s1Re;
      const s5Im = im[i0] - s1Im;
      const aRe = re[i0] + s1Re;
      const aIm = im[i0] + s1Im;
      const s3Re = s0Re + s2Re;
      const s3Im = s0Im + s2Im;
      const s4Re = s0Re - s2Re;
      const s4Im = s0Im - s2Im;
      re[i2] = aRe - s3Re;
      im[i2] = aIm - s3Im;
      re[i0] = aRe + s3Re;
      im[i0] = aIm + s3Im;
      re[i1] = s5Re + s4Im;
      im[i1] = s5Im - s4Re;
      re[i3] = s5Re - s4Im;
      im[i3] = s5Im + s4Re;
    }
  }

  #radix5(re: Float64Array, im: Float64Array, out: number, stride: number, m: number) {
    const twRe = this.#twRe;
    const twIm = this.#twIm;
    // e^(−2πi/5) and e^(−4πi/5)
    const yaRe = twRe[stride * m];
    const yaIm = twIm[stride * m];
    const ybRe = twRe[2 * stride * m];
    const ybIm = twIm[2 * stride * m];
    for (let u = 0; u < m; u++) {
      const i0 = out + u;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      const i4 = i3 + m;
      const w1 = u * stride;
      const w2 = 2 * w1;
      const w3 = 3 * w1;
      const w4 = 4 * w1;
      const s0Re = re[i0];
      const s0Im = im[i0];
      const s1Re = re[i1] * twRe[w1] - im[i1] * twIm[w1];
      const s1Im = re[i1] * twIm[w1] + im[i1] * twRe[w1];
      const s2Re = re[i2] * twRe[w2] - im[i2] * twIm[w2];
      const s2Im = re[i2] * twIm[w2] + im[i2] * twRe[w2];
      const s3Re = re[i3] * twRe[w3] - im[i3] * twIm[w3];
      const s3Im = re[i3] * twIm[w3] + im[i3] * twRe[w3];
      const s4Re = re[i4] * twRe[w4] - im[i4] * twIm[w4];
      const s4Im = re[i4] * twIm[w4] + im[i4] * twRe[w4];
      const s7Re = s1Re + s4Re;
      const s7Im = s1Im + s4Im;
      const s10Re = s1Re - s4Re;
      const s10Im = s1Im - s4Im;
      const s8Re = s2Re + s3Re;
      const s8Im = s2Im + s3Im;
      const s9Re = s2Re - s3Re;
      const s9Im = s2Im - s3Im;
      re[i0] = s0Re + s7Re + s8Re;
      im[i0] = s0Im + s7Im + s8Im;
      const s5Re = s0Re + s7Re * yaRe + s8Re * ybRe;
      const s5Im = s0Im + s7Im * yaRe + s8Im * ybRe;
      const s6Re = s10Im * yaIm + s9Im * ybIm;
      const s6Im = -s10Re * yaIm - s9Re * ybIm;
      re[i1] = s5Re - s6Re;
      im[i1] = s5Im - s6Im;
      re[i4] = s5Re + s6Re;
      im[i4] = s5Im + s6Im;
      const s11Re = s0Re + s7Re * ybRe + s8Re * yaRe;
      const s11Im = s0Im + s7Im * ybRe + s8Im * yaRe;
      const s12Re = -s10Im * ybIm + s9Im * yaIm;
      const s12Im = s10Re * ybIm - s9Re * yaIm;
      re[i2] = s11Re + s12Re;
      im[i2] = s11Im + s12Im;
      re[i3] = s11Re - s12Re;
      im[i3] = s11Im - s12Im;
    }
  }

  /** Any radix p: Y[u + q1·m] = Σ_q X_q[u]·W^(q·(u + q1·m)·stride). */
  #generic(re: Float64Array, im: Float64Array, out: number, stride: number, p: number, m: number) {
    const n = this.size;
    const twRe = this.#twRe;
    const twIm = this.#twIm;
    const sRe = this.#scratchRe;
    const sIm = this.#scratchIm;
    for (let u = 0; u < m; u++) {
      for (let q = 0, k = out + u; q < p; q++, k += m) {
        sRe[q] = re[k];
        sIm[q] = im[k];
      }
      for (let q1 = 0, k = u; q1 < p; q1++, k += m) {
        let accRe = sRe[0];
        let accIm = sIm[0];
        const step = stride * k; // < n: k < p·m and stride·p·m = n
        for (let q = 1, tw = step; q < p; q++, tw = tw + step >= n ? tw + step - n : tw + step) {
          accRe += sRe[q] * twRe[tw] - sIm[q] * twIm[tw];
          accIm += sRe[q] * twIm[tw] + sIm[q] * twRe[tw];
        }
        re[out + k] = accRe;
        im[out + k] = accIm;
      }
    }
  }
}

/**
 * Power spectrum of a real frame of even length N, bins 0…N/2, through one complex transform of
 * N/2 (even samples as the real part, odd samples as the imaginary part, then split).
 */
export class RealPowerSpectrum {
  readonly size: number;
  readonly bins: number;
  readonly #half: MixedRadixFft;
  readonly #zRe: Float64Array;
  readonly #zIm: Float64Array;
  readonly #fRe: Float64Array;
  readonly #fIm: Float64Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;

  constructor(size: number) {
    if (size % 2 !== 0) throw new RangeError(`real FFT length ${size} must be even`);
    const m = size / 2;
    this.size = size;
    this.bins = m + 1;
    this.#half = new MixedRadixFft(m);
    this.#zRe = new Float64Array(m);
    this.#zIm = new Float64Array(m);
    this.#fRe = new Float64Array(m);
    this.#fIm = new Float64Array(m);
    this.#cos = new Float64Array(m + 1);
    this.#sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.#sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** `out[k] = |X[k]|²` for k = 0…N/2 of the real frame `x` (length N). */
  power(x: Float64Array, out: Float64Array): void {
    const m = this.size / 2;
    const zRe = this.#zRe;
    const zIm = this.#zIm;
    for (let n = 0; n < m; n++) {
      zRe[n] = x[2 * n];
      zIm[n] = x[2 * n + 1];
    }
    this.#half.transform(zRe, zIm, this.#fRe, this.#fIm);
    const fRe = this.#fRe;
    const fIm = this.#fIm;
    for (let k = 0; k <= m; k++) {
      const a = fRe[k % m];
      const b = fIm[k % m];
      const c = fRe[(m - k) % m];
      const d = fIm[(m - k) % m];
      // Even samples' transform E and odd samples' O, from Z[k] and conj(Z[m − k]).
      const eRe = (a + c) / 2;
      const eIm = (b - d) / 2;
      const oRe = (b + d) / 2;
      const oIm = (c - a) / 2;
      // X[k] = E[k] + e^(−2πik/N)·O[k]
      const cos = this.#cos[k];
      const sin = this.#sin[k];
      const xRe = eRe + oRe * cos + oIm * sin;
      const xIm = eIm + oIm * cos - oRe * sin;
      out[k] = xRe * xRe + xIm * xIm;
    }
  }
}
