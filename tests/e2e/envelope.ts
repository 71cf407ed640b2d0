/**
 * Where played audio sits in what the app recorded: loudness envelopes compared over a range of
 * lags. The fake microphone's file and the app's capture do not start on the same sample (how
 * far apart depends on how busy the machine is), so a test that measures times against the
 * played file first finds that offset in the recording the app keeps — the audio a user reviews.
 */

/** RMS envelope with `hopSeconds` hops. */
export function envelope(samples: Float32Array, rate: number, hopSeconds = 0.02): number[] {
  const hop = Math.round(rate * hopSeconds);
  const out: number[] = [];
  for (let i = 0; i + hop <= samples.length; i += hop) {
    let s = 0;
    for (let j = i; j < i + hop; j++) s += samples[j] ** 2;
    out.push(Math.sqrt(s / hop));
  }
  return out;
}

/** Pearson correlation over the common length. */
export function correlation(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/**
 * The lag (in envelope frames, within ±maxLag) at which `recorded` best follows `source`:
 * recorded[i + lag] ≈ source[i]. A positive lag: the source starts `lag` frames into the
 * recording; negative: the recording began `-lag` frames into the source.
 */
export function bestLag(recorded: readonly number[], source: readonly number[], maxLag: number): { lag: number; correlation: number } {
  let best = { lag: 0, correlation: -Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const c = lag >= 0 ? correlation(recorded.slice(lag), source) : correlation(recorded, source.slice(-lag));
    if (c > best.correlation) best = { lag, correlation: c };
  }
  return best;
}
