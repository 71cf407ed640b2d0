import { describe, expect, it } from 'vitest';
import {
  countMatches,
  editText,
  emptyHistory,
  markReviewed,
  mergeWithNext,
  record,
  redo,
  replaceAll,
  retimeWords,
  reviewQueue,
  segmentConfidence,
  splitSegment,
  splitWords,
  toDocSegments,
  undo,
  type DocSegment,
} from '../../src/domain/transcript/document';
import type { Word } from '../../src/domain/transcript/types';

const w = (word: string, start: number, end: number, probability = 0.9): Word => ({ word, start, end, probability });

function jfk(): DocSegment[] {
  return toDocSegments([
    { start: 0, end: 2.2, text: ' And so my fellow Americans,', words: [w(' And', 0.3, 0.5), w(' so', 0.5, 0.7), w(' my', 0.9, 1.1), w(' fellow', 1.1, 1.5), w(' Americans,', 1.5, 2.2, 0.4)] },
    { start: 3.1, end: 4.4, text: ' ask not', words: [w(' ask', 3.3, 3.9, 0.2), w(' not', 3.9, 4.4, 0.5)] },
  ]);
}

describe('transcript document', () => {
  it('gives stable ids and a frozen confidence (geometric mean of word probabilities)', () => {
    const doc = jfk();
    expect(doc.map((s) => s.id)).toEqual(['s1', 's2']);
    expect(doc[1].confidence).toBeCloseTo(Math.sqrt(0.2 * 0.5), 6);
    expect(segmentConfidence({ start: 0, end: 1, text: 'x', avg_logprob: Math.log(0.5) })).toBeCloseTo(0.5, 6);
    // Ids continue after the largest one, never reused.
    expect(toDocSegments([{ start: 5, end: 6, text: ' more' }], doc)[0].id).toBe('s3');
  });

  it('splits words as Whisper writes them, Chinese by character', () => {
    expect(splitWords(' ask not, what')).toEqual([' ask', ' not,', ' what']);
    expect(splitWords('我们去 OK')).toEqual(['我', '们', '去', ' OK']);
  });

  it('an edited word keeps the times around it; unchanged words keep theirs exactly', () => {
    const doc = editText(jfk(), 's1', ' And so my dear fellow Americans,');
    const words = doc[0].words!;
    expect(words.map((x) => x.word)).toEqual([' And', ' so', ' my', ' dear', ' fellow', ' Americans,']);
    expect(words[2]).toMatchObject({ start: 0.9, end: 1.1, probability: 0.9 });
    expect(words[4]).toMatchObject({ start: 1.1, end: 1.5 });
    // The new word lies between its neighbours and is marked as a person's.
    expect(words[3].start).toBeGreaterThanOrEqual(1.1 - 1e-9);
    expect(words[3].end).toBeLessThanOrEqual(1.1 + 1e-9);
    expect(words[3].edited).toBe(true);
    expect(doc[0].edited).toBe(true);
    expect(doc[1]).toBe(jfk()[1] === doc[1] ? doc[1] : doc[1]); // untouched segment object kept
  });

  it('a replaced word takes the time of the word it replaced', () => {
    const words = retimeWords([w(' Birket', 1, 1.4), w(' Forster', 1.4, 2)], ' Birket Foster', { start: 1, end: 2 });
    expect(words[1].word).toBe(' Foster');
    expect(words[1].start).toBeCloseTo(1.4, 6);
    expect(words[1].end).toBeCloseTo(2, 6);
  });

  it('split and merge keep words and times; merge of a split gives the text back', () => {
    const doc = jfk();
    const split = splitSegment(doc, 's1', ' And so my'.length);
    expect(split.map((s) => s.text)).toEqual([' And so my', ' fellow Americans,', ' ask not']);
    expect(split[0].end).toBeCloseTo(1.1, 6);
    expect(split[1].start).toBeCloseTo(1.1, 6);
    expect(split[1].id).toBe('s3');
    expect(split[1].words!.map((x) => x.word)).toEqual([' fellow', ' Americans,']);
    const merged = mergeWithNext(split, 's1');
    expect(merged[0].text).toBe(doc[0].text);
    expect(merged[0].words).toEqual(doc[0].words);
    expect(merged[0].end).toBe(2.2);
  });

  it('find and replace across segments, whole words, case-insensitive by default', () => {
    const doc = jfk();
    expect(countMatches(doc, 'a')).toBe(4);
    expect(countMatches(doc, 'ask', { wholeWord: true })).toBe(1);
    const next = replaceAll(doc, 'americans', 'Americans all', { wholeWord: true });
    expect(next[0].text).toBe(' And so my fellow Americans all,');
    expect(next[1]).toBe(doc[1]);
  });

  it('undo and redo walk the edit history; a new edit clears redo', () => {
    let h = emptyHistory<DocSegment[]>();
    const a = jfk();
    const b = editText(a, 's2', ' ask not what');
    h = record(h, a);
    const u = undo(h, b)!;
    expect(u.state).toBe(a);
    const r = redo(u.history, u.state)!;
    expect(r.state).toBe(b);
    const c = markReviewed(b, 's1');
    const h2 = record(r.history, b);
    expect(h2.future).toEqual([]);
    expect(undo(h2, c)!.state).toBe(b);
    expect(undo(emptyHistory(), a)).toBeNull();
  });

  it('the review queue holds the unsure segments, least sure first', () => {
    const doc = toDocSegments([
      { start: 0, end: 1, text: ' sure', words: [w(' sure', 0, 1, 0.95)] },
      { start: 1, end: 2, text: ' unsure', words: [w(' unsure', 1, 2, 0.6)] },
      { start: 2, end: 3, text: ' very unsure', words: [w(' very', 2, 2.5, 0.3), w(' unsure', 2.5, 3, 0.3)] },
    ]);
    expect(reviewQueue(doc).map((s) => s.text)).toEqual([' very unsure', ' unsure']);
    // Correcting a segment does not move it out of the queue: the model's confidence is frozen.
    const corrected = editText(doc, doc[2].id, ' fairly sure');
    expect(reviewQueue(corrected).map((s) => s.id)).toEqual([doc[2].id, doc[1].id]);
  });
});
