/**
 * Speakers end to end in headless Chromium: a two-speaker conversation (two LibriSpeech readers
 * taking turns, known turns) transcribed by real Whisper tiny.en, then "Find speakers" in the
 * ASR worker (pyannote segmentation + CAM++ as every build ships them in dist/models/diarization/;
 * the model source, a folder of Whisper models, has no diarization/): two speakers, words on the right speaker, a name given once, a turn reassigned, both
 * surviving a reload, and every export carrying the names (WebVTT parsed, RTTM read back).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diarizationError } from '../../src/domain/diarization/der';
import { parseRttm } from '../../src/domain/diarization/turns';
import { speakerDuring } from '../../src/domain/diarization/assign';
import { parseCues, type JsonExport } from '../../src/domain/transcript/formats';
import { buildConversation, CONVERSATIONS } from '../fixtures/conversations';
import { writeWav16 } from '../fixtures/wav';
import { download, openApp, recordLive, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { FIXTURES, ROOT, SHARED, TINY_EN_MODEL, speechClips, toBaselineWav } from './fixtures';
import { startServer, type TestServer } from './server';

const TINY = 'whisper-tiny.en';
const SHIPPED = join(ROOT, 'dist/models/diarization');
const present = existsSync(join(TINY_EN_MODEL, 'config.json')) && existsSync(join(SHARED, 'audio'));
if (!present) console.warn(`speaker tests skipped: ${TINY_EN_MODEL} or ${SHARED}/audio not found (../shared is beside the repo in CI)`);


interface WordOut {
  start: number;
  end: number;
  speaker: string;
}

describe.skipIf(!present || !haveChromium())('speakers (whisper-tiny.en, WASM)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  const conversation = buildConversation(CONVERSATIONS.find((c) => c.name === 'two-clean')!);
  const file = join(FIXTURES, 'two-speakers.wav');

  const words = (): Promise<WordOut[]> =>
    page.$$eval('[data-testid=transcript] [data-testid=segment]', (els) =>
      els.flatMap((el) =>
        [...el.querySelectorAll('[data-testid=word]')].map((w) => ({ start: Number(w.getAttribute('data-start')), end: Number(w.getAttribute('data-end')), speaker: el.getAttribute('data-speaker') ?? '' })),
      ),
    );
  const speakerIds = () => page.$$eval('[data-testid=speaker-item]', (els) => els.map((e) => e.getAttribute('data-id')));

  beforeAll(async () => {
    mkdirSync(FIXTURES, { recursive: true });
    writeWav16(file, conversation.audio);
    server = await startServer(join(ROOT, 'dist'), { [TINY]: TINY_EN_MODEL });
    browser = await launch();
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    logs = watchConsole(page);
    await openApp(page, server, TINY, 'wasm', 'q8');
    const r = await transcribe(page, file);
    expect(r.state, logs.join('\n')).toBe('done');
    expect(r.segments.length).toBeGreaterThanOrEqual(4);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('finds the two speakers, with a progress bar, and puts the words on the right one', async () => {
    // The build ships the speaker models; the model source (only Whisper folders) has none.
    expect(existsSync(join(SHIPPED, 'campplus-zh-en.onnx')) && existsSync(join(SHIPPED, 'pyannote-segmentation-3.0.onnx'))).toBe(true);
    expect(await page.$$eval('[data-testid=segment][data-speaker]', (els) => els.length)).toBe(0);
    const t0 = Date.now();
    await page.click('[data-testid=diarize]');
    await page.waitForSelector('[data-testid=diarize-progress]', { timeout: 10_000 });
    await page.waitForSelector('[data-testid=speakers-panel][data-state=done], [data-testid=error]', { timeout: 180_000 });
    expect(await page.getAttribute('[data-testid=speakers-panel]', 'data-state'), logs.join('\n')).toBe('done');
    const seconds = (Date.now() - t0) / 1000;
    expect(server.requests).toContain('/models/diarization/campplus-zh-en.onnx');
    expect(await speakerIds()).toEqual(['S1', 'S2']);
    // How sure the count is, said beside it; the range holds the count found.
    const certainty = page.locator('[data-testid=speakers-certainty]');
    const [min, max] = [Number(await certainty.getAttribute('data-min')), Number(await certainty.getAttribute('data-max'))];
    console.log(`[speakers] count 2, ${min === max ? 'sure' : `${min}–${max}`}: “${await certainty.textContent()}”`);
    expect(min).toBeLessThanOrEqual(2);
    expect(max).toBeGreaterThanOrEqual(2);
    expect(await certainty.textContent()).toMatch(min === max ? /count is clear/ : new RegExp(`${min} to ${max} people`));
    // Each word against the reference turns, under the best mapping of names.
    const found = await words();
    const truth = found.map((w) => speakerDuring(conversation.reference, w.start, w.end, 0.5));
    let agree = 0;
    for (const mapping of [{ S1: 0, S2: 1 }, { S1: 1, S2: 0 }] as Record<string, number>[]) {
      agree = Math.max(agree, found.filter((w, i) => truth[i] !== null && mapping[w.speaker] === truth[i]).length);
    }
    const scored = truth.filter((x) => x !== null).length;
    // The segments' turns scored as diarization (segments are what the user sees and exports).
    const turns = await page.$$eval('[data-testid=transcript] [data-testid=segment]', (els) => els.map((el) => ({ start: Number(el.getAttribute('data-start')), end: Number(el.getAttribute('data-end')), speaker: Number(el.getAttribute('data-speaker')!.slice(1)) - 1 })));
    const der = diarizationError(conversation.reference, turns, { collar: 0.25 }).der;
    console.log(`[speakers] ${conversation.audio.length / 16_000} s two-speaker file: speakers found in ${seconds.toFixed(1)} s (models fetched, browser WASM); ${agree} of ${scored} words on the right speaker (${((agree / scored) * 100).toFixed(1)} %); DER of the segments ${(der * 100).toFixed(1)} %`);
    expect(agree / scored).toBeGreaterThanOrEqual(0.95);
    // Undo takes the speakers away in one step; redo brings them back.
    await page.click('[data-testid=undo]');
    await expect.poll(() => page.$$eval('[data-testid=segment][data-speaker]', (els) => els.length)).toBe(0);
    await page.click('[data-testid=redo]');
    await expect.poll(speakerIds).toEqual(['S1', 'S2']);
  });

  it('renames a speaker once for the whole transcript and reassigns a turn; both survive a reload', async () => {
    await page.fill('[data-testid=speaker-item][data-id=S1] [data-testid=speaker-name]', 'Dr. Lee');
    await page.press('[data-testid=speaker-item][data-id=S1] [data-testid=speaker-name]', 'Enter');
    await expect.poll(() => page.$$eval('[data-testid=segment][data-speaker=S1] [data-testid=segment-speaker]', (els) => els.map((e) => (e as HTMLSelectElement).selectedOptions[0].textContent))).not.toContain('Speaker 1');
    const s1Labels = await page.$$eval('[data-testid=segment][data-speaker=S1] [data-testid=segment-speaker]', (els) => els.map((e) => (e as HTMLSelectElement).selectedOptions[0].textContent));
    expect(new Set(s1Labels)).toEqual(new Set(['Dr. Lee']));
    // The last segment goes to the other speaker.
    const last = page.locator('[data-testid=segment]').last();
    const id = await last.getAttribute('data-id');
    const was = await last.getAttribute('data-speaker');
    const other = was === 'S1' ? 'S2' : 'S1';
    await last.locator('[data-testid=segment-speaker]').selectOption(other);
    await expect.poll(() => page.getAttribute(`[data-testid=segment][data-id="${id}"]`, 'data-speaker')).toBe(other);
    const before = await page.$$eval('[data-testid=segment]', (els) => els.map((e) => `${e.getAttribute('data-id')}:${e.getAttribute('data-speaker')}`));

    await page.reload();
    await page.waitForSelector('[data-testid=history-item]');
    await page.click('[data-testid=history-item] >> nth=0 >> [data-testid=history-open]');
    await expect.poll(() => page.$$eval('[data-testid=segment]', (els) => els.map((e) => `${e.getAttribute('data-id')}:${e.getAttribute('data-speaker')}`))).toEqual(before);
    expect(await page.inputValue('[data-testid=speaker-item][data-id=S1] [data-testid=speaker-name]')).toBe('Dr. Lee');
  });

  it('exports the names: TXT, Markdown, SRT, WebVTT voices, JSON per word, RTTM per turn', async () => {
    const segs = await page.$$eval('[data-testid=segment]', (els) => els.map((e) => ({ speaker: e.getAttribute('data-speaker'), start: Number(e.getAttribute('data-start')) })));
    const name = (id: string | null) => (id === 'S1' ? 'Dr. Lee' : 'Speaker 2');
    const txt = await download(page, 'export-txt');
    expect(txt.text.trim().split('\n').map((l) => l.split(':')[0])).toEqual(segs.map((s) => name(s.speaker)));
    const md = await download(page, 'export-md');
    expect(md.name).toBe('two-speakers.en.md');
    expect(md.text).toContain('**Dr. Lee**');
    expect(md.text).toContain('**Speaker 2**');
    const srt = await download(page, 'export-srt');
    expect(parseCues(srt.text).map((c) => c.text.split(':')[0])).toEqual(segs.map((s) => name(s.speaker)));
    const vtt = await download(page, 'export-vtt');
    const voices = parseCues(vtt.text).map((c) => /^<v ([^>]+)>/.exec(c.text)?.[1]);
    expect(voices).toEqual(segs.map((s) => name(s.speaker)));
    const json = JSON.parse((await download(page, 'export-json')).text) as JsonExport;
    expect(json.speakers).toEqual({ S1: 'Dr. Lee', S2: 'Speaker 2' });
    expect(json.segments.map((s) => s.speaker)).toEqual(segs.map((s) => name(s.speaker)));
    expect(json.segments.every((s) => s.words?.every((w) => w.speaker === s.speaker))).toBe(true);
    const rttm = await download(page, 'export-rttm');
    expect(rttm.name).toBe('two-speakers.en.rttm');
    const parsed = parseRttm(rttm.text).get('two-speakers')!;
    // The speaker search's own turns (kept with the history entry through the reload above), not
    // the segments': scored against the conversation as DER is.
    const der = diarizationError(conversation.reference, parsed.turns, { collar: 0.25 });
    console.log(`[speakers] RTTM export: ${parsed.turns.length} turns, DER ${(der.der * 100).toFixed(1)} % (missed ${der.missed.toFixed(2)} s, false alarm ${der.falseAlarm.toFixed(2)} s, confusion ${der.confusion.toFixed(2)} s)`);
    expect(der.der).toBeLessThanOrEqual(0.05);
    expect(new Set(parsed.names)).toEqual(new Set(['Dr._Lee', 'Speaker_2']));
  });

  it('cancels a second run and leaves the transcript as it was', async () => {
    const before = await page.$$eval('[data-testid=segment]', (els) => els.map((e) => `${e.getAttribute('data-id')}:${e.getAttribute('data-speaker')}`));
    await page.selectOption('[data-testid=speaker-count]', 'exact');
    await page.fill('[data-testid=speakers-exact]', '3');
    await page.click('[data-testid=diarize]');
    await page.click('[data-testid=diarize-cancel]', { timeout: 10_000 });
    await page.waitForSelector('[data-testid=speakers-panel][data-state=cancelled]', { timeout: 30_000 });
    expect(await page.$$eval('[data-testid=segment]', (els) => els.map((e) => `${e.getAttribute('data-id')}:${e.getAttribute('data-speaker')}`))).toEqual(before);
    // The model session was kept: a file transcribes without loading again.
    expect(await page.getAttribute('[data-testid=status]', 'data-state')).toBe('done');
  });

  it('what the speaker search said belongs to its transcript: the next file starts without it', async () => {
    expect(await page.$('[data-testid=speakers-status]')).not.toBeNull();
    const r = await transcribe(page, toBaselineWav(speechClips('en')[1].file));
    expect(r.state).toBe('done');
    expect(await page.getAttribute('[data-testid=speakers-panel]', 'data-state')).toBe('idle');
    expect(await page.$('[data-testid=speakers-status]')).toBeNull();
  });
});

describe.skipIf(!present || !haveChromium())('speakers of a live session (whisper-tiny.en, WASM, fake microphone)', () => {
  // Two readers taking turns with pauses long enough to end each utterance.
  const conversation = buildConversation({ name: 'live-two', speakers: ['s1272', 's2300'], gap: [1.3, 1.8], maxTurn: 6, seed: 7 });
  const micFile = join(FIXTURES, 'live-two-speakers.wav');
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(FIXTURES, { recursive: true });
    writeWav16(micFile, conversation.audio);
    server = await startServer(join(ROOT, 'dist'), { [TINY]: TINY_EN_MODEL });
    browser = await launch({ fakeMicWav: micFile });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('labels each utterance with its speaker, consistently through the session', async () => {
    const page = await browser.newPage();
    const logs = watchConsole(page);
    await openApp(page, server, TINY, 'wasm', 'q8');
    await page.click('[data-testid=mode-mic]');
    await page.check('[data-testid=live-speakers]');
    // Stop in the last pause, before the fake microphone starts the file again.
    const live = await recordLive(page, conversation.audio.length / 16_000 - 0.3, { timeoutMs: 300_000 });
    const segs = await page.$$eval('[data-testid=transcript] [data-testid=segment]', (els) =>
      els.map((el) => ({ start: Number(el.getAttribute('data-start')), end: Number(el.getAttribute('data-end')), speaker: el.getAttribute('data-speaker') })),
    );
    expect(segs.length, `${JSON.stringify(live.segments)}\n${logs.join('\n')}`).toBeGreaterThanOrEqual(4);
    expect(segs.every((s) => s.speaker), `${JSON.stringify(segs)}\n${logs.join("\n")}`).toBe(true);
    const truth = segs.map((s) => speakerDuring(conversation.reference, s.start, s.end, 0.5));
    let agree = 0;
    for (const mapping of [{ S1: 0, S2: 1 }, { S1: 1, S2: 0 }] as Record<string, number>[]) {
      agree = Math.max(agree, segs.filter((s, i) => truth[i] !== null && mapping[s.speaker!] === truth[i]).length);
    }
    const labels = new Set(segs.map((s) => s.speaker));
    console.log(`[speakers] live: ${segs.length} utterances, ${labels.size} speakers labelled (2 speaking), ${agree} of ${truth.filter((x) => x !== null).length} utterances on the right speaker`);
    expect(labels.size).toBe(2);
    expect(agree / truth.filter((x) => x !== null).length).toBeGreaterThanOrEqual(0.8);
    await page.close();
  });
});
