import { describe, expect, it } from 'vitest';
import { splitWindow } from '../../src/domain/transcript/window';
import { dropRepeatedSegments, findRepetitionLoop, secondCopyAt } from '../../src/domain/transcript/repetition';
import { parseCues, toJson, toSrt, toTxt, toVtt, formatTimestamp } from '../../src/domain/transcript/formats';
import { languageProbabilities, languageTokenMap, preferLanguages, whisperCodesOf } from '../../src/domain/transcript/langid';
import { WHISPER_LANGUAGES, languageName } from '../../src/domain/languages';
import type { Segment } from '../../src/domain/transcript/types';

const TS = 50_364; // <|0.00|> in the multilingual vocabulary
const EOT = 50_257;
const info = { timestampBegin: TS, eot: EOT };
const ts = (seconds: number) => TS + Math.round(seconds / 0.02);

describe('splitWindow (seek-based long-form merging)', () => {
  it("keeps closed segments and resumes where the last one ended", () => {
    // <0.00> a b <2.00><2.40> c d <5.00><5.20> e f   (last segment cut off by the window end)
    const r = splitWindow([ts(0), 1, 2, ts(2), ts(2.4), 3, 4, ts(5), ts(5.2), 5, 6], info, 30);
    expect(r.pieces).toEqual([
      { start: 0, end: 2, tokens: [1, 2] },
      { start: 2.4, end: 5, tokens: [3, 4] },
    ]);
    expect(r.advance).toBeCloseTo(5, 6);
  });

  it('consumes the whole window when the last segment closed with a single timestamp', () => {
    const r = splitWindow([ts(0), 1, ts(1.5), ts(2), 2, ts(29.5), EOT], info, 30);
    expect(r.pieces.map((p) => [p.start, p.end, p.tokens])).toEqual([
      [0, 1.5, [1]],
      [2, 29.5, [2]],
    ]);
    expect(r.advance).toBe(30);
  });

  it('treats text without timestamp pairs as one segment over the window', () => {
    const r = splitWindow([1, 2, 3, EOT], info, 12.5);
    expect(r.pieces).toEqual([{ start: 0, end: 12.5, tokens: [1, 2, 3] }]);
    expect(r.advance).toBe(12.5);
  });

  it('keeps times inside the window and in order, whatever the model emits', () => {
    const r = splitWindow([ts(20), 1, ts(5), ts(3), 2, ts(29.9)], info, 12);
    expect(r.pieces.map((p) => [p.start, p.end])).toEqual([
      [12, 12],
      [12, 12],
    ]);
    for (const p of r.pieces) expect(p.end).toBeGreaterThanOrEqual(p.start);
  });

  it('makes progress even when the model resumes at 0', () => {
    const r = splitWindow([ts(0), ts(0), 1, 2], info, 30);
    expect(r.advance).toBe(30);
  });

  it('joining windows by their advance neither repeats nor drops words', () => {
    // The same spoken words a..f; window 1 cuts "e f" off, window 2 starts at 5 s and has them.
    const w1 = splitWindow([ts(0), 1, 2, ts(2), ts(2.4), 3, 4, ts(5), ts(5.2), 5], info, 30);
    const w2 = splitWindow([ts(0), 5, 6, ts(1.5), EOT], info, 30 - 5);
    const words = [...w1.pieces, ...w2.pieces].flatMap((p) => p.tokens);
    expect(words).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('a phrase said twice (live text on a shortened window)', () => {
  const phrase = [21, 22, 23, 24, 25];
  it('finds where the second copy starts, so a pass keeps one', () => {
    expect(secondCopyAt([1, 2, ...phrase, ...phrase, 7])).toBe(2 + phrase.length);
    // A loop cut off mid-copy by the token limit: still the first copy's end.
    expect(secondCopyAt([1, ...phrase, ...phrase, ...phrase.slice(0, 2)])).toBe(1 + phrase.length);
  });

  it('ignores short repeats people make and repeats inside text settled earlier', () => {
    expect(secondCopyAt([1, 2, 3, 4, 3, 4, 5])).toBe(-1); // "very very", "ask not, ask not" are under five tokens
    expect(secondCopyAt([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(-1);
    expect(secondCopyAt([...phrase, ...phrase, 8, 9], 2 * phrase.length)).toBe(-1);
    expect(secondCopyAt([...phrase, ...phrase, 8, 9], 2 * phrase.length - 1)).toBe(phrase.length);
  });
});

describe('repetition loops', () => {
  it('finds a repeated phrase and where to cut it', () => {
    const phrase = [11, 12, 13, 14];
    const tokens = [1, 2, 3, ...phrase, ...phrase, ...phrase, ...phrase];
    expect(findRepetitionLoop(tokens)).toBe(3 + phrase.length);
  });

  it('finds a single token stuck on repeat', () => {
    expect(findRepetitionLoop([5, 6, ...Array(10).fill(9)])).toBe(3);
  });

  it('leaves ordinary text alone', () => {
    expect(findRepetitionLoop([1, 2, 3, 1, 2, 4, 5, 1, 2, 3])).toBe(-1);
    expect(findRepetitionLoop([7, 7, 8])).toBe(-1);
  });

  it('drops segments that only repeat the previous one', () => {
    const segs = ['Thank you.', 'Thank you.', 'thank you', 'Thank you.', 'Bye.'].map((text, i) => ({ text, start: i, end: i + 1 }));
    expect(dropRepeatedSegments(segs).map((s) => s.text)).toEqual(['Thank you.', 'Thank you.', 'Bye.']);
  });
});

describe('exports', () => {
  const segments: Segment[] = [
    { start: 0, end: 2.5, text: ' Hello there.' },
    { start: 2.5, end: 3661.0456, text: ' 你好，世界。' },
    { start: 3661.1, end: 3662, text: '   ' },
  ];

  it('writes SRT that parses back to the same cues', () => {
    const srt = toSrt(segments);
    expect(srt.startsWith('1\n00:00:00,000 --> 00:00:02,500\nHello there.\n')).toBe(true);
    const cues = parseCues(srt);
    expect(cues).toHaveLength(2);
    expect(cues[1]).toEqual({ start: 2.5, end: 3661.046, text: '你好，世界。' });
  });

  it('writes WebVTT with a header and dot milliseconds', () => {
    const vtt = toVtt(segments);
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.')).toBe(true);
    expect(parseCues(vtt).map((c) => c.text)).toEqual(['Hello there.', '你好，世界。']);
  });

  it('never lets cue text end a cue early or fake a timing line', () => {
    const srt = toSrt([{ start: 0, end: 1, text: 'a\n\nb --> c' }]);
    expect(parseCues(srt)).toEqual([{ start: 0, end: 1, text: 'a\nb → c' }]);
  });

  it('rounds without producing 60 seconds or 1000 ms', () => {
    expect(formatTimestamp(59.9996, ',')).toBe('00:01:00,000');
  });

  it('writes TXT and JSON with language and model', () => {
    expect(toTxt(segments)).toBe('Hello there.\n你好，世界。\n');
    const doc = JSON.parse(
      toJson({ segments, language: 'zh', model: 'onnx-community/whisper-base', task: 'transcribe', duration: 3662, completedUntil: 3662, sourceName: 'a.wav' }),
    );
    expect(doc).toMatchObject({ model: 'onnx-community/whisper-base', language: 'zh', completed: true });
    expect(doc.segments).toEqual([
      { start: 0, end: 2.5, text: 'Hello there.' },
      { start: 2.5, end: 3661.046, text: '你好，世界。' },
    ]);
  });
});

describe('language identification math', () => {
  const map = languageTokenMap({ '<|en|>': 3, '<|zh|>': 5, '<|de|>': 7, '<|yue|>': 8 });

  it('reads language codes from lang_to_id', () => {
    expect([...map.keys()]).toEqual(['en', 'zh', 'de', 'yue']);
  });

  it('is a softmax over the language tokens only, ranked', () => {
    const logits = new Float32Array(10).fill(100); // non-language tokens must not matter
    logits[3] = Math.log(1);
    logits[5] = Math.log(3);
    logits[7] = Math.log(6);
    logits[8] = -Infinity;
    const probs = languageProbabilities(logits, map);
    expect(probs.map((p) => p.code)).toEqual(['de', 'zh', 'en', 'yue']);
    expect(probs[0].probability).toBeCloseTo(0.6, 6);
    expect(probs[1].probability).toBeCloseTo(0.3, 6);
    expect(probs.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 6);
  });

  it('does not overflow on large logits', () => {
    const logits = new Float32Array(10);
    logits[3] = 1000;
    logits[5] = 999;
    const probs = languageProbabilities(logits, map);
    expect(probs[0].code).toBe('en');
    expect(Number.isFinite(probs[0].probability)).toBe(true);
  });
});

describe('languages', () => {
  it('lists all of Whisper’s languages once', () => {
    expect(new Set(WHISPER_LANGUAGES).size).toBe(100);
  });
  it('names them in the UI language', () => {
    expect(languageName('zh', 'en')).toBe('Chinese');
    expect(languageName('en', 'zh-CN')).toBe('英语');
    expect(languageName('jw', 'en')).toBe('Javanese');
  });
});

describe('language prior when Whisper is unsure', () => {
  it('takes a language the user speaks only when the guess is unsure and it is a real contender', () => {
    const unsure = [
      { code: 'my', probability: 0.35 },
      { code: 'zh', probability: 0.32 },
      { code: 'bo', probability: 0.23 },
      { code: 'en', probability: 0.01 },
    ];
    expect(preferLanguages(unsure, ['zh', 'en'])[0].code).toBe('zh');
    expect(preferLanguages(unsure, ['en'])[0].code).toBe('my'); // English is no contender here
    const sure = [
      { code: 'ru', probability: 0.9 },
      { code: 'zh', probability: 0.05 },
    ];
    expect(preferLanguages(sure, ['zh'])[0].code).toBe('ru');
    expect(preferLanguages(unsure, ['zh']).map((g) => g.code).sort()).toEqual(['bo', 'en', 'my', 'zh']);
    expect(whisperCodesOf(['zh-CN', 'en-US', 'en', 'zh-Hans-CN'])).toEqual(['zh', 'en']);
  });
});
