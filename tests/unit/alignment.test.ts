import { describe, expect, it } from 'vitest';
import { alignmentCost, dtw, groupIntoSegments, groupWords, medianFilter, snapToSpeech, splitToWordTokens, tokenStartTimes } from '../../src/domain/transcript/alignment';

describe('median filter and DTW (as OpenAI timing.py)', () => {
  it('median filter removes a spike and keeps edges (reflect padding)', () => {
    expect([...medianFilter(Float32Array.from([1, 1, 9, 1, 1]), 3)]).toEqual([1, 1, 1, 1, 1]);
    expect([...medianFilter(Float32Array.from([1, 2, 3, 4, 5]), 3)]).toEqual([2, 2, 3, 4, 4]);
  });
  it('DTW follows the cheap diagonal band and is monotonic', () => {
    // 3 tokens over 6 frames; token k is cheap on frames 2k, 2k+1.
    const rows = 3;
    const cols = 6;
    const cost = new Float32Array(rows * cols).fill(1);
    for (let k = 0; k < rows; k++) cost[k * cols + 2 * k] = cost[k * cols + 2 * k + 1] = 0;
    const [r, c] = dtw(cost, rows, cols);
    expect(r[0]).toBe(0);
    expect(c[0]).toBe(0);
    expect(r.at(-1)).toBe(2);
    expect(c.at(-1)).toBe(5);
    for (let i = 1; i < r.length; i++) {
      expect(r[i]).toBeGreaterThanOrEqual(r[i - 1]);
      expect(c[i]).toBeGreaterThanOrEqual(c[i - 1]);
    }
    // Where each token starts: frames 0, 2, 4.
    const starts = [0, 1, 2].map((k) => c[r.indexOf(k)]);
    expect(starts).toEqual([0, 2, 4]);
  });
  it('token times from attention that moves along the audio', () => {
    // 2 text tokens (+1 row) attending to frames 0–9, 10–19, 20–29 of 30.
    const frames = 30;
    const head = new Float32Array(3 * frames);
    for (let k = 0; k < 3; k++) for (let f = 10 * k; f < 10 * k + 10; f++) head[k * frames + f] = 0.1;
    const times = tokenStartTimes(alignmentCost([head], 3, frames, 3), 2, frames);
    expect(times.length).toBe(3);
    expect(times[1]).toBeGreaterThanOrEqual(0.16);
    expect(times[1]).toBeLessThanOrEqual(0.24);
    expect(times[2]).toBeGreaterThanOrEqual(0.36);
    expect(times[2]).toBeLessThanOrEqual(0.44);
  });
});

describe('words from tokens', () => {
  // Tokens are characters here; "\u0001" and "\u0002" are the two halves of one multi-byte character.
  const pieces: Record<number, string> = { 1: ' Hello', 2: ',', 3: ' wor', 4: 'ld', 5: '.', 6: '\u0001', 7: '\u0002', 8: '好' };
  const decode = (ids: number[]) => {
    const s = ids.map((i) => pieces[i]).join('');
    if (s.includes('\u0001') && !s.includes('\u0002')) return s.replace('\u0001', '\ufffd');
    return s.replace('\u0001\u0002', '你');
  };
  it('splits on spaces, keeps sub-words together, punctuation joins the word before', () => {
    const split = splitToWordTokens([1, 2, 3, 4, 5], decode, 'en');
    expect(split.words).toEqual([' Hello', ',', ' world', '.']);
    const words = groupWords([1, 2, 3, 4, 5], [0, 0.4, 0.5, 0.7, 0.9, 1.0], [0.9, 0.8, 0.5, 0.7, 1], decode, 'en');
    expect(words.map((w) => w.word)).toEqual([' Hello,', ' world.']);
    expect(words[0].start).toBe(0);
    expect(words[1].start).toBe(0.5);
    expect(words[1].end).toBe(1.0);
    expect(words[1].probability).toBeCloseTo((0.5 + 0.7) / 2);
  });
  it('Chinese: one word per character, bytes of one character kept together', () => {
    const split = splitToWordTokens([6, 7, 8], decode, 'zh');
    expect(split.words).toEqual(['你', '好']);
    expect(split.tokens).toEqual([[6, 7], [8]]);
  });
});

describe('segments from the words of a text-only window', () => {
  const w = (word: string, start: number, end: number) => ({ word, start, end, probability: 0.9 });
  it('cuts at sentence ends (not after "Mr.") and at pauses between words', () => {
    const words = [w(' Mr.', 0, 0.3), w(' Foster', 0.3, 0.8), w(' smiled.', 0.8, 1.2), w(' And', 1.3, 1.5), w(' then', 1.5, 1.8), w(' he', 3.2, 3.4), w(' left.', 3.4, 3.9)];
    expect(groupIntoSegments(words).map((g) => g.map((x) => x.word).join(''))).toEqual([' Mr. Foster smiled.', ' And then', ' he left.']);
  });
  it('cuts a long sentence at a clause, and keeps every word once', () => {
    const words = Array.from({ length: 30 }, (_, i) => w(i === 20 ? ' clause,' : ' word', i * 0.7, i * 0.7 + 0.6));
    const groups = groupIntoSegments(words);
    expect(groups.length).toBe(2);
    expect(groups[0].at(-1)!.word).toBe(' clause,');
    expect(groups.flat()).toEqual(words);
  });
});

describe('word boundaries out of silence', () => {
  it('moves a start out of the pause before the word, and an end out of the pause after it', () => {
    const regions = [
      { start: 0.3, end: 2.3 },
      { start: 3.3, end: 5.0 },
    ];
    const words = [
      { word: ' Americans', start: 1.8, end: 2.36, probability: 1 },
      { word: ' ask', start: 2.36, end: 3.88, probability: 1 },
      { word: ' not', start: 3.88, end: 4.6, probability: 1 },
    ];
    const snapped = snapToSpeech(words, regions);
    expect(snapped[1].start).toBeCloseTo(3.3);
    expect(snapped[1].end).toBeCloseTo(3.88);
    expect(snapped[0].end).toBeCloseTo(2.36); // within the slack after the speech edge: kept
    expect(snapped[2]).toEqual(words[2]);
  });
});
