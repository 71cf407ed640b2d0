/** Word times for models that give no alignment: spread over the speech, never into silence, flagged. */
import { describe, expect, it } from 'vitest';
import { approximateWords } from '../../src/domain/transcript/approximate-words';

// A toy tokenizer: token k is the k-th piece.
const PIECES = [' Ask', ' not', ' what', ' your', ' country', ' can', ' do', '.', '我', '们', '去'];
const decode = (ids: number[]) => ids.map((i) => PIECES[i]).join('');

/** 16 kHz: tone where `loud` says (seconds), silence elsewhere. */
function audio(seconds: number, loud: [number, number][]): Float32Array {
  const x = new Float32Array(Math.round(seconds * 16_000));
  for (const [a, b] of loud) for (let i = Math.round(a * 16_000); i < Math.round(b * 16_000); i++) x[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16_000);
  return x;
}

describe('approximate word times', () => {
  it('spreads the words over the speech only, in order, by length, and flags them', () => {
    // Speech 1.0–2.0 s and 3.0–4.0 s, a second of silence between.
    const x = audio(5, [[1, 2], [3, 4]]);
    const words = approximateWords([0, 1, 2, 3, 4, 5, 6, 7], decode, 'en', { start: 0.5, end: 4.5 }, x, 0.8);
    expect(words.map((w) => w.word).join('')).toBe(' Ask not what your country can do.');
    expect(words).toHaveLength(7); // the full stop joins "do"
    expect(words.every((w) => w.approximate && w.probability === 0.8)).toBe(true);
    for (const w of words) {
      // No word starts in the silences: before 1 s, between 2 and 3 s, after 4 s.
      const inSpeech = (t: number) => (t >= 0.98 && t <= 2.02) || (t >= 2.98 && t <= 4.02);
      expect(inSpeech(w.start), JSON.stringify(w)).toBe(true);
      expect(w.end).toBeGreaterThan(w.start);
    }
    for (let i = 1; i < words.length; i++) expect(words[i].start).toBeGreaterThanOrEqual(words[i - 1].end);
    // "country" (7 letters) takes longer than "not" (3).
    const length = (w: string) => words.find((x) => x.word.trim() === w)!;
    expect(length('country').end - length('country').start).toBeGreaterThan(length('not').end - length('not').start);
    expect(words[0].start).toBeCloseTo(1, 1);
    expect(words.at(-1)!.end).toBeCloseTo(4, 1);
  });

  it('one word per character for Chinese, evenly without audio, nothing for an empty span', () => {
    const zh = approximateWords([8, 9, 10], decode, 'zh', { start: 2, end: 3.5 }, null, 0.5);
    expect(zh.map((w) => w.word)).toEqual(['我', '们', '去']);
    expect(zh.map((w) => w.start)).toEqual([2, 2.5, 3]);
    expect(zh.at(-1)!.end).toBe(3.5);
    expect(approximateWords([0], decode, 'en', { start: 1, end: 1 }, null, 1)).toEqual([]);
    expect(approximateWords([], decode, 'en', { start: 0, end: 1 }, null, 1)).toEqual([]);
  });
});
