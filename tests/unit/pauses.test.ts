import { describe, expect, it } from 'vitest';
import { compactPauses, toOriginalSeconds } from '../../src/domain/audio/pauses';

const RATE = 16_000;
/** Tone bursts ("speech") at the given [start, end) seconds, silence elsewhere. */
function bursts(totalS: number, regions: [number, number][]): Float32Array {
  const a = new Float32Array(totalS * RATE);
  for (const [s, e] of regions) for (let i = s * RATE; i < e * RATE; i++) a[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / RATE);
  return a;
}

describe('compactPauses', () => {
  it('shortens long pauses to 0.4 s and keeps speech intact', () => {
    const audio = bursts(10, [[0, 2], [5, 7], [7.5, 9]]);
    const { audio: out, spans } = compactPauses(audio);
    // Pause 2–5 s (3 s) → 0.4 s; pause 7–7.5 (0.5 s) is short and stays; tail 9–10 s (1 s) → 0.4 s... kept at its start only.
    expect(out.length / RATE).toBeCloseTo(2 + 0.4 + 2 + 0.5 + 1.5 + 0.4, 1);
    // Every kept sample is identical to the original at the mapped time.
    for (const s of spans) for (let i = 0; i < s.length; i += 997) expect(out[s.compactStart + i]).toBe(audio[s.start + i]);
  });

  it('maps times in the shortened audio back to the original', () => {
    const audio = bursts(10, [[0, 2], [5, 7]]);
    const { spans } = compactPauses(audio);
    expect(toOriginalSeconds(spans, 1)).toBeCloseTo(1, 3);
    // 2 s of speech + 0.2 s of the pause, then the cut to 0.2 s before the speech at 5 s.
    expect(toOriginalSeconds(spans, 2.1)).toBeCloseTo(2.1, 2);
    expect(toOriginalSeconds(spans, 2.3)).toBeCloseTo(4.9, 2);
    expect(toOriginalSeconds(spans, 2.4)).toBeCloseTo(5.0, 2);
    expect(toOriginalSeconds(spans, 4.4)).toBeCloseTo(7.0, 2);
    // Monotonic everywhere.
    let prev = -1;
    for (let t = 0; t < 5; t += 0.01) {
      const o = toOriginalSeconds(spans, t);
      expect(o).toBeGreaterThanOrEqual(prev);
      prev = o;
    }
  });

  it('leaves audio without long pauses untouched', () => {
    const audio = bursts(4, [[0, 1.5], [2, 4]]);
    const r = compactPauses(audio);
    expect(r.audio).toBe(audio);
    expect(toOriginalSeconds(r.spans, 3.3)).toBeCloseTo(3.3, 6);
  });

  it('does not cut quiet speech: the threshold follows the file’s level', () => {
    const audio = bursts(6, [[0, 6]]).map((x, i) => (i > 2 * RATE && i < 4 * RATE ? x * 0.05 : x)); // −26 dB passage
    expect(compactPauses(audio).audio.length).toBe(audio.length);
  });
});
