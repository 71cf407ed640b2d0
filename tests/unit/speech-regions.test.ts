import { describe, expect, it } from 'vitest';
import { compactRanges, toCompactSamples, toOriginalSeconds } from '../../src/domain/audio/pauses';
import { firstUncovered, keptRanges, pauseMidpoints, speechRegions, unionRanges, windowEnd } from '../../src/domain/audio/speech-regions';

const F = 512;
const SR = 16_000;

describe('speech regions from VAD probabilities', () => {
  it('finds speech with hysteresis, drops blips, keeps short dips inside speech', () => {
    const p = new Float32Array(200).fill(0.05);
    p.fill(0.9, 10, 60); // 1.6 s of speech
    p[30] = 0.2; // a 32 ms dip inside: not a pause
    p.fill(0.9, 100, 103); // a 96 ms blip: dropped
    p.fill(0.8, 150, 190);
    const r = speechRegions(p, 200 * F);
    expect(r).toEqual([
      { start: 10 * F, end: 60 * F },
      { start: 150 * F, end: 190 * F },
    ]);
  });
  it('keeps speech with a second of margin, keeps short pauses whole, shortens long ones; times map back', () => {
    const total = 60 * SR;
    const regions = [
      { start: 2 * SR, end: 5 * SR },
      { start: 8 * SR, end: 10 * SR }, // 3 s pause: 1 s between the margins, kept whole
      { start: 40 * SR, end: 45 * SR }, // 30 s pause: shortened to the two margins
    ];
    const kept = keptRanges(regions, total);
    expect(kept).toEqual([
      { start: 1 * SR, end: 11 * SR },
      { start: 39 * SR, end: 46 * SR },
    ]);
    const audio = new Float32Array(total);
    const { audio: short, spans } = compactRanges(audio, kept);
    expect(short.length).toBe(17 * SR);
    const at = toCompactSamples(spans, 40 * SR);
    expect(toOriginalSeconds(spans, at / SR)).toBeCloseTo(40, 6);
  });
  it('drops audio only where the level agrees it is a pause', () => {
    expect(unionRanges([{ start: 0, end: 10 }, { start: 30, end: 40 }], [{ start: 5, end: 20 }, { start: 50, end: 60 }])).toEqual([
      { start: 0, end: 20 },
      { start: 30, end: 40 },
      { start: 50, end: 60 },
    ]);
  });
  it('windows end in the last pause inside 30 s, or at 30 s when speech runs on', () => {
    const pauses = pauseMidpoints([
      { start: 0, end: 10 * SR },
      { start: 11 * SR, end: 25 * SR },
      { start: 25.1 * SR, end: 40 * SR }, // 0.1 s: not a pause
    ]);
    expect(pauses).toEqual([10.5 * SR]);
    expect(windowEnd(0, 60 * SR, pauses, 30 * SR, 5 * SR)).toBe(10.5 * SR);
    expect(windowEnd(10.5 * SR, 60 * SR, pauses, 30 * SR, 5 * SR)).toBe(40.5 * SR);
    expect(windowEnd(50 * SR, 60 * SR, pauses, 30 * SR, 5 * SR)).toBe(60 * SR);
  });
  it('finds speech no word landed on', () => {
    const regions = [
      { start: 0, end: 4 },
      { start: 5, end: 9 },
      { start: 10, end: 10.3 }, // too short to judge
    ];
    const words = [
      { start: 0.2, end: 0.6 },
      { start: 3, end: 3.8 },
    ];
    expect(firstUncovered(regions, words, 0, 30)).toEqual({ start: 5, end: 9 });
    expect(firstUncovered(regions, [...words, { start: 5.2, end: 5.5 }], 0, 30)).toBeNull();
    // Only what the window settled is checked.
    expect(firstUncovered(regions, words, 0, 4.9)).toBeNull();
  });
});
