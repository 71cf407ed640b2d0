import { describe, expect, it } from 'vitest';
import {
  BeamSearch,
  COMPRESSION_RATIO_THRESHOLD,
  applyLogitFilters,
  averageLogprob,
  compressionRatio,
  isNoSpeech,
  logProbabilityOf,
  logSoftmax,
  needsFallback,
  sample,
  seededRandom,
  topK,
  type SpecialTokens,
} from '../../src/domain/transcript/decoding';

// A toy vocabulary: 0–9 text, 10 = EOT, 11 = SOT, 12 = no-timestamps, 13 = no-speech, 14… timestamps.
const T: SpecialTokens = { eot: 10, timestampBegin: 14, noTimestamps: 12, noSpeech: 13, blank: [0], suppress: [11, 12, 13] };
const VOCAB = 14 + 60;
const row = (fill = 0, set: Record<number, number> = {}) => {
  const r = new Float32Array(VOCAB).fill(fill);
  for (const [k, v] of Object.entries(set)) r[Number(k)] = v;
  return r;
};
const allowed = (r: Float32Array) => [...r.keys()].filter((i) => r[i] > -Infinity);

describe('compression ratio (OpenAI: len(utf-8) / len(zlib))', () => {
  it('is low for ordinary speech and above 2.4 for a loop', () => {
    const speech = 'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';
    expect(compressionRatio(speech)).toBeLessThan(1.6);
    expect(compressionRatio('Thank you. '.repeat(20))).toBeGreaterThan(COMPRESSION_RATIO_THRESHOLD);
    expect(compressionRatio('')).toBe(0);
  });
});

describe('fallback decision and no-speech gate (OpenAI thresholds)', () => {
  it('falls back on a repeating text, on a low average log-probability and on a loop', () => {
    expect(needsFallback({ avgLogprob: -0.3, compressionRatio: 1.5, noSpeechProb: 0.01 })).toBe(false);
    expect(needsFallback({ avgLogprob: -0.3, compressionRatio: 2.5, noSpeechProb: 0.01 })).toBe(true);
    expect(needsFallback({ avgLogprob: -1.2, compressionRatio: 1.5, noSpeechProb: 0.01 })).toBe(true);
    expect(needsFallback({ avgLogprob: -0.3, compressionRatio: 1.5, noSpeechProb: 0.01, looped: true })).toBe(true);
  });
  it('does not fall back on what looks like silence, and the gate drops it', () => {
    const silence = { avgLogprob: -1.5, compressionRatio: 1, noSpeechProb: 0.8 };
    expect(needsFallback(silence)).toBe(false);
    expect(isNoSpeech(silence)).toBe(true);
    // Confident text wins over a high no-speech probability.
    expect(isNoSpeech({ avgLogprob: -0.5, noSpeechProb: 0.9 })).toBe(false);
    expect(isNoSpeech({ avgLogprob: -1.5, noSpeechProb: 0.3 })).toBe(false);
  });
  it('averages over the text and the end token', () => {
    expect(averageLogprob(-3, 2)).toBeCloseTo(-1);
  });
});

describe('logit filters', () => {
  it('a window starts with a timestamp of at most 1 s, never blank, EOT or specials', () => {
    const r = row(0);
    applyLogitFilters(r, [], T, true);
    expect(allowed(r)).toEqual(Array.from({ length: 51 }, (_, i) => 14 + i));
  });
  it('after a closing timestamp: another timestamp (not earlier) or the end', () => {
    const r = row(0, { 10: 5 }); // the end likelier than all timestamps together
    applyLogitFilters(r, [14, 3, 4, 20], T, true);
    expect(allowed(r)).toEqual([10, ...Array.from({ length: VOCAB - 20 }, (_, i) => 20 + i)]);
  });
  it('after an opening timestamp pair: text only', () => {
    const r = row(0);
    applyLogitFilters(r, [14, 3, 20, 20], T, true);
    expect(allowed(r).every((i) => i < 14)).toBe(true);
    expect(allowed(r)).not.toContain(11);
  });
  it('after a closing timestamp, when the timestamps together outweigh the end, a timestamp', () => {
    const r = row(0);
    applyLogitFilters(r, [14, 3, 4, 20], T, true);
    expect(allowed(r)).toEqual(Array.from({ length: VOCAB - 20 }, (_, i) => 20 + i));
  });
  it('takes a timestamp when all timestamps together outweigh every text token', () => {
    const r = row(-10, { 3: 2 });
    for (let i = 30; i < VOCAB; i++) r[i] = 1; // each timestamp less likely than token 3, together more
    applyLogitFilters(r, [14, 3, 4], T, true);
    expect(r[3]).toBe(-Infinity);
    expect(r[40]).toBe(1);
  });
  it('without timestamps only suppresses blank/EOT at the start and the specials', () => {
    const r = row(0);
    applyLogitFilters(r, [], T, false);
    expect(r[0]).toBe(-Infinity);
    expect(r[10]).toBe(-Infinity);
    expect(r[13]).toBe(-Infinity);
    expect(r[20]).toBe(0);
  });
});

describe('beam search on a hand-made logits sequence', () => {
  it('finds the sequence greedy misses', () => {
    // Step 1: greedy takes 1 (p .6) over 2 (p .4). After 1 the model is unsure (all flat);
    // after 2 it is sure of 5 then EOT. Beam search must return [2, 5].
    const lp = (probs: Record<number, number>) => {
      const r = new Float32Array(VOCAB).fill(-Infinity);
      for (const [k, p] of Object.entries(probs)) r[Number(k)] = Math.log(p);
      return r;
    };
    const step1 = lp({ 1: 0.6, 2: 0.4 });
    const afterOne = lp({ 3: 0.25, 4: 0.25, 6: 0.25, 7: 0.25 });
    const afterTwo = lp({ 5: 0.99, 6: 0.01 });
    const thenEnd = lp({ 10: 1 });
    const beams = new BeamSearch(2, T.eot);
    let sources = beams.step([step1]);
    expect(sources).toEqual([0, 0]);
    expect(beams.beams.map((b) => b.tokens)).toEqual([[1], [2]]);
    sources = beams.step(beams.beams.map((b) => (b.tokens[0] === 1 ? afterOne : afterTwo)));
    expect(beams.beams[0].tokens).toEqual([2, 5]);
    expect(sources[0]).toBe(1);
    while (!beams.done) beams.step(beams.beams.map(() => thenEnd));
    expect(beams.best().tokens).toEqual([2, 5]);
    expect(beams.best().sumLogprob).toBeCloseTo(Math.log(0.4 * 0.99), 5);
  });
});

describe('sampling', () => {
  it('is repeatable with a seed, follows the temperature and never picks a suppressed token', () => {
    const logits = row(-Infinity, { 1: 0, 2: Math.log(3) });
    const draw = (t: number) => {
      const rnd = seededRandom(7);
      const n = [0, 0, 0];
      for (let i = 0; i < 4000; i++) n[sample(logits, t, rnd)]++;
      return n;
    };
    expect(draw(1)).toEqual(draw(1));
    const [zero, one, two] = draw(1);
    expect(zero).toBe(0);
    expect(two / (one + two)).toBeGreaterThan(0.7);
    expect(two / (one + two)).toBeLessThan(0.8);
    const cold = draw(0.2);
    expect(cold[2] / (cold[1] + cold[2])).toBeGreaterThan(0.95);
  });
  it('one log-probability without the whole softmax equals the softmax entry', () => {
    const logits = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 8);
    const full = logSoftmax(logits);
    for (const t of [0, 17, 999]) expect(logProbabilityOf(logits, t)).toBe(full[t]);
    // Over a prefix of the vocabulary (the text tokens only).
    expect(logProbabilityOf(logits, 5, 100)).toBe(logSoftmax(logits.subarray(0, 100))[5]);
  });
  it('topK and logSoftmax', () => {
    expect(topK([0.1, 5, 3, -Infinity, 4], 3)).toEqual([1, 4, 2]);
    const l = logSoftmax([1, 2, 3]);
    expect(Math.exp(l[0]) + Math.exp(l[1]) + Math.exp(l[2])).toBeCloseTo(1, 6);
  });
});
