import { describe, expect, it } from 'vitest';
import { silences, snapToEnergy } from '../../src/domain/audio/energy-edges';

const SR = 16_000;
/** Speech-like bursts (noise) at the given [start, end] seconds, over a quiet floor. */
function bursts(spans: [number, number][], seconds: number): Float32Array {
  const out = new Float32Array(seconds * SR);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < out.length; i++) out[i] = 0.001 * rand();
  for (const [a, b] of spans) for (let i = Math.round(a * SR); i < Math.round(b * SR); i++) out[i] = 0.3 * rand();
  return out;
}
const w = (word: string, start: number, end: number) => ({ word, start, end, probability: 0.9 });

describe('word edges from the signal', () => {
  const audio = bursts([[0.5, 1.0], [1.8, 2.3], [2.4, 2.9]], 4);

  it('finds the silences between words, not the short gaps inside them', () => {
    const found = silences(audio);
    expect(found.some((g) => Math.abs(g.start - 1.0) < 0.03 && Math.abs(g.end - 1.8) < 0.03)).toBe(true);
    expect(found.some((g) => g.start > 2.25 && g.end < 2.45)).toBe(false);
  });

  it('a start placed at the end of the word before moves to where the speech begins', () => {
    const out = snapToEnergy([w(' one', 0.3, 1.0), w(' two', 1.0, 2.3), w(' three', 2.3, 2.9)], audio);
    expect(out[0].start).toBeCloseTo(0.5, 1);
    expect(out[1].start).toBeCloseTo(1.8, 1);
    expect(out[0].end).toBeCloseTo(1.0, 1);
    // A boundary with no silence in reach is left alone; starts never precede the word before's end.
    expect(out[2].start).toBeCloseTo(2.3, 6);
    for (let i = 1; i < out.length; i++) expect(out[i].start).toBeGreaterThanOrEqual(out[i - 1].end);
  });

  it('a word with most of its speech before a pause ends at the pause instead of jumping over it', () => {
    const out = snapToEnergy([w(' one', 0.5, 0.6), w(' two', 0.6, 1.9), w(' three', 1.9, 2.3)], bursts([[0.5, 1.4], [1.8, 2.3]], 3));
    expect(out[1].start).toBeCloseTo(0.6, 6);
    expect(out[1].end).toBeCloseTo(1.4, 1);
  });
});
