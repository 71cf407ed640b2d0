/**
 * The editor and the review queue as components, in real Chromium (vitest browser mode): a
 * document and a player wired as the app wires them, driven by clicks and keys.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { userEvent } from 'vitest/browser';
import TranscriptEditor from '../../src/components/editor/TranscriptEditor.svelte';
import ReviewQueue from '../../src/components/editor/ReviewQueue.svelte';
import { TranscriptDocument } from '../../src/state/document.svelte';
import { Playback } from '../../src/state/playback.svelte';
import { floatToInt16, wavHeader } from '../../src/domain/audio/wav';

const w = (word: string, start: number, end: number, probability = 0.9) => ({ word, start, end, probability });

/** Ten seconds of a quiet tone as a WAV blob, so the player has something to seek in. */
function tone(): Blob {
  const samples = new Float32Array(16_000 * 10).map((_, i) => 0.05 * Math.sin(i / 10));
  return new Blob([wavHeader(samples.length, 16_000), floatToInt16(samples) as Int16Array<ArrayBuffer>], { type: 'audio/wav' });
}

function setup(readonly = false) {
  const doc = new TranscriptDocument();
  doc.reset({ sourceName: 'clinic.wav', language: 'en', duration: 10 }, [
    { start: 0.3, end: 2.2, text: ' And so my fellow Americans,', words: [w(' And', 0.3, 0.5), w(' so', 0.5, 0.7), w(' my', 0.9, 1.1), w(' fellow', 1.1, 1.5), w(' Americans,', 1.5, 2.2, 0.3)] },
    { start: 3.1, end: 4.4, text: ' ask not', words: [w(' ask', 3.3, 3.9, 0.2), w(' not', 3.9, 4.4, 0.5)] },
    { start: 5, end: 7, text: ' what your country can do', words: [w(' what', 5, 5.3), w(' your', 5.3, 5.6), w(' country', 5.6, 6.2, 0.6), w(' can', 6.2, 6.5), w(' do', 6.5, 7)] },
  ]);
  const playback = new Playback();
  playback.setSource(tone());
  const audio = document.createElement('audio');
  audio.src = playback.url!;
  document.body.append(audio);
  const detach = playback.attach(audio);
  const screen = render(TranscriptEditor, { document: doc, playback, readonly, partial: '', emptyText: 'empty', markLow: true });
  return { doc, playback, audio, screen, cleanup: () => (detach(), audio.remove()) };
}

let done: (() => void) | null = null;
afterEach(() => {
  done?.();
  done = null;
});

const texts = () => [...document.querySelectorAll('[data-testid=segment-text]')].map((e) => e.textContent!.trim());
const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

describe('TranscriptEditor', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(async () => {
    ctx = setup();
    done = ctx.cleanup;
    await until(() => Number.isFinite(ctx.audio.duration));
  });

  it('a click on a word plays from its start', async () => {
    await userEvent.click(document.querySelectorAll<HTMLElement>('[data-testid=word]')[6]);
    await until(() => !ctx.audio.paused);
    expect(ctx.audio.currentTime).toBeGreaterThanOrEqual(3.9);
    expect(ctx.audio.currentTime).toBeLessThan(4.6);
    ctx.audio.pause();
  });

  it('the list is one Tab stop: arrows move between segments, Tab leaves the list', async () => {
    const boxes = () => [...document.querySelectorAll<HTMLElement>('[data-testid=segment-text]')];
    // Only one segment (and no time button) is in the Tab order.
    expect(boxes().map((b) => b.tabIndex)).toEqual([0, -1, -1]);
    expect([...document.querySelectorAll<HTMLElement>('[data-testid=segment-time]')].every((b) => b.tabIndex === -1)).toBe(true);
    boxes()[0].focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(boxes()[1]);
    await userEvent.keyboard('{End}');
    expect(document.activeElement).toBe(boxes()[2]);
    await userEvent.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(boxes()[1]);
    // The Tab stop follows: coming back with Tab lands where the user was.
    expect(boxes().map((b) => b.tabIndex)).toEqual([-1, 0, -1]);
    await userEvent.keyboard('{Home}');
    expect(document.activeElement).toBe(boxes()[0]);
  });

  it('the edit box grows to show all of a long segment', async () => {
    ctx.doc.editText(ctx.doc.segments[2].id, ' ' + 'what your country can do for you and for the people around you, today and tomorrow, '.repeat(6).trim());
    const box = document.querySelectorAll<HTMLElement>('[data-testid=segment-text]')[2];
    box.focus();
    await userEvent.keyboard('{Enter}');
    const area = document.querySelector<HTMLTextAreaElement>('[data-testid=segment-input]')!;
    area.style.width = '300px';
    area.dispatchEvent(new Event('input'));
    // Every line of the text is visible: nothing to scroll inside the box.
    expect(area.scrollHeight).toBeLessThanOrEqual(area.clientHeight + 2);
    expect(area.clientHeight).toBeGreaterThan(100);
    await userEvent.keyboard('{Enter}');
  });

  it('highlights the word at the player’s time, and marks unsure words', async () => {
    ctx.playback.seek(5.45);
    await until(() => document.querySelector('[data-current=true]')?.textContent === ' your');
    expect(document.querySelectorAll('[data-current=true]')).toHaveLength(1);
    expect([...document.querySelectorAll('.low')].map((e) => e.textContent!.trim())).toEqual(['Americans,', 'ask']);
  });

  it('Enter edits a segment; Enter saves; the words around keep their times; undo and redo', async () => {
    document.querySelector<HTMLElement>('[data-testid=segment-text]')!.focus();
    await userEvent.keyboard('{Enter}');
    const area = document.querySelector<HTMLTextAreaElement>('[data-testid=segment-input]')!;
    expect(area).not.toBeNull();
    expect(document.activeElement).toBe(area);
    await userEvent.clear(area);
    await userEvent.type(area, 'And so my dear fellow Americans,');
    await userEvent.keyboard('{Enter}');
    expect(texts()[0]).toBe('And so my dear fellow Americans,');
    const words = ctx.doc.segments[0].words!;
    expect(words.find((x) => x.word === ' fellow')).toMatchObject({ start: 1.1, end: 1.5 });
    expect(words.find((x) => x.word === ' dear')).toMatchObject({ edited: true, probability: 1 });
    ctx.doc.undo();
    await until(() => texts()[0] === 'And so my fellow Americans,');
    ctx.doc.redo();
    await until(() => texts()[0] === 'And so my dear fellow Americans,');
  });

  it('Alt+Enter splits at the cursor; Backspace at the start joins with the segment before', async () => {
    document.querySelectorAll<HTMLElement>('[data-testid=segment-text]')[2].focus();
    await userEvent.keyboard('{Enter}');
    const area = document.querySelector<HTMLTextAreaElement>('[data-testid=segment-input]')!;
    area.setSelectionRange('what your'.length, 'what your'.length);
    await userEvent.keyboard('{Alt>}{Enter}{/Alt}');
    await until(() => ctx.doc.segments.length === 4);
    expect(ctx.doc.segments[2]).toMatchObject({ text: ' what your', start: 5, end: 5.6 });
    expect(ctx.doc.segments[3]).toMatchObject({ start: 5.6, end: 7 });
    expect(ctx.doc.segments[3].text.trim()).toBe('country can do');
    await userEvent.keyboard('{Backspace}');
    await until(() => ctx.doc.segments.length === 3);
    expect(ctx.doc.segments[2].text).toBe(' what your country can do');
  });
});

describe('a job writing the text', () => {
  it('is read-only: Enter does not open the editor', async () => {
    const ctx = setup(true);
    done = ctx.cleanup;
    document.querySelector<HTMLElement>('[data-testid=segment-text]')!.focus();
    await userEvent.keyboard('{Enter}');
    expect(document.querySelector('[data-testid=segment-input]')).toBeNull();
  });
});

describe('ReviewQueue', () => {
  it('lists unsure segments least sure first, and counts what was accepted or corrected', async () => {
    const ctx = setup();
    done = ctx.cleanup;
    render(ReviewQueue, { document: ctx.doc, playback: ctx.playback, threshold: 0.75, readonly: false, ondataset: () => {}, exporting: false });
    const items = () => [...document.querySelectorAll('[data-testid=review-item]')].map((e) => ({ text: e.querySelector('.text')!.textContent, c: Number(e.getAttribute('data-confidence')) }));
    expect(items().map((i) => i.text)).toEqual(['ask not', 'And so my fellow Americans,']);
    expect(document.querySelector('[data-testid=review-progress]')!.textContent).toBe('0 of 2 reviewed');
    const box = document.querySelector<HTMLTextAreaElement>('[data-testid=review-text]')!;
    await userEvent.clear(box);
    await userEvent.type(box, 'ask not, my friends');
    await userEvent.click(document.querySelector<HTMLElement>('[data-testid=review-accept]')!);
    await until(() => document.querySelector('[data-testid=review-progress]')!.textContent === '1 of 2 reviewed');
    expect(ctx.doc.segments[1]).toMatchObject({ text: ' ask not, my friends', reviewed: true, edited: true });
    expect(document.querySelector('[data-testid=export-dataset]')!.getAttribute('data-count')).toBe('1');
  });
});
