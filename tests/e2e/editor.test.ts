/**
 * Review and correct, end to end in headless Chromium with real Whisper tiny.en: the editor
 * synced to the player (click a word → seek; playback highlights the word being spoken; oTranscribe
 * keys), editing from the keyboard only (edit, split, merge, undo/redo, find and replace), edits
 * that survive a reload and reach every export, the review queue, the fine-tuning dataset zip
 * (parsed here), and a model folder loaded from the disk with the network off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonExport } from '../../src/domain/transcript/formats';
import { download, downloadBytes, fileMode, openApp, openSettings, segments, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { ROOT, SHARED, TINY_EN_MODEL, have, joinWithPauses } from './fixtures';
import { startServer, type TestServer } from './server';

const TINY = 'whisper-tiny.en';
const present = existsSync(join(TINY_EN_MODEL, 'config.json'));
if (!present) console.warn(`editor tests skipped: ${TINY_EN_MODEL} not found (../shared is beside the repo in CI)`);

/** Parse a 16-bit PCM WAV: rate, channels, seconds. */
function wavInfo(bytes: Uint8Array): { rate: number; channels: number; bits: number; seconds: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  expect(ascii(0)).toBe('RIFF');
  expect(ascii(8)).toBe('WAVE');
  expect(ascii(36)).toBe('data');
  const rate = v.getUint32(24, true);
  const channels = v.getUint16(22, true);
  const bits = v.getUint16(34, true);
  return { rate, channels, bits, seconds: v.getUint32(40, true) / (rate * channels * (bits / 8)) };
}

/** axe-core's violations on the page as it is (rule id and count). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run();
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

describe.skipIf(!present || !haveChromium() || !have('sox'))('review and correct (whisper-tiny.en, WASM)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  let file: string;

  const currentTime = () => page.$eval('[data-testid=player]', (el) => (el as HTMLMediaElement).currentTime);
  const texts = async () => (await segments(page)).map((s) => s.text);

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [TINY]: TINY_EN_MODEL });
    browser = await launch({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    logs = watchConsole(page);
    const jfk = join(SHARED, 'audio/en/jfk.wav');
    file = joinWithPauses('editor-jfk2.wav', [jfk, jfk], [1.5, 0.5]);
    await openApp(page, server, TINY, 'wasm', 'q8');
    const r = await transcribe(page, file);
    expect(r.state, logs.join('\n')).toBe('done');
    expect(r.segments.length).toBeGreaterThanOrEqual(2);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the transcript beside a player of the file, and brings it into view when the job ends', async () => {
    expect(await page.$eval('[data-testid=player]', (el) => el.tagName)).toBe('AUDIO');
    await page.waitForFunction(() => Number.isFinite((document.querySelector('[data-testid=player]') as HTMLMediaElement).duration));
    expect(await page.$eval('[data-testid=player]', (el) => (el as HTMLMediaElement).duration)).toBeCloseTo(24, 0);
    // (a smooth scroll: give it time)
    await expect.poll(() => page.$eval('[data-testid=transcript]', (el) => el.getBoundingClientRect().top), { message: 'the transcript is on screen after the job' }).toBeLessThan(900);
    // The whole page — start panel, settings, player, editor, review queue, history — passes axe.
    expect(await axeViolations(page)).toEqual([]);
  });

  it('click a word → it plays from that word, and the word being spoken is highlighted', async () => {
    const word = page.locator('[data-testid=word]').nth(8);
    const start = Number(await word.getAttribute('data-start'));
    await word.click();
    await page.waitForFunction(() => !(document.querySelector('[data-testid=player]') as HTMLMediaElement).paused);
    expect(await currentTime()).toBeGreaterThanOrEqual(start - 0.01);
    // Let it play a little, then check the highlighted word is the one at the player's time.
    await page.waitForTimeout(1200);
    await page.click('[data-testid=play-pause]');
    await page.waitForFunction(() => (document.querySelector('[data-testid=player]') as HTMLMediaElement).paused);
    const t = await currentTime();
    expect(t).toBeGreaterThan(start + 0.5);
    const current = await page.$$eval('[data-testid=word]', (els) => els.map((e) => ({ start: Number(e.getAttribute('data-start')), current: e.getAttribute('data-current') === 'true' })));
    const expected = current.filter((w) => w.start <= t + 1e-3).at(-1);
    const highlighted = current.filter((w) => w.current);
    expect(highlighted).toHaveLength(1);
    expect(highlighted[0].start).toBe(expected!.start);
    console.log(`clicked word at ${start.toFixed(2)} s (it plays); after 1.2 s of playback the player is at ${t.toFixed(2)} s and the word from ${highlighted[0].start.toFixed(2)} s is highlighted`);
  });

  it('keys as oTranscribe has them, without leaving the text: Esc play/pause, F1/F2 ∓5 s, F3/F4 speed', async () => {
    await page.focus('[data-testid=segment-text] >> nth=0');
    await page.locator('[data-testid=word]').nth(0).click();
    // The click plays from the word; the keys below are checked on a paused player.
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => (document.querySelector('[data-testid=player]') as HTMLMediaElement).paused);
    const t0 = await currentTime();
    await page.keyboard.press('F2');
    expect(await currentTime()).toBeCloseTo(t0 + 5, 1);
    await page.keyboard.press('F1');
    expect(await currentTime()).toBeCloseTo(t0, 1);
    await page.keyboard.press('F4');
    await page.keyboard.press('F4');
    expect(await page.$eval('[data-testid=player]', (el) => (el as HTMLMediaElement).playbackRate)).toBe(1.5);
    await page.keyboard.press('F3');
    await page.keyboard.press('F3');
    await page.keyboard.press('F3');
    await page.keyboard.press('F3');
    expect(await page.$eval('[data-testid=player]', (el) => (el as HTMLMediaElement).playbackRate)).toBe(0.5);
    await page.focus('[data-testid=segment-text] >> nth=0');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !(document.querySelector('[data-testid=player]') as HTMLMediaElement).paused);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => (document.querySelector('[data-testid=player]') as HTMLMediaElement).paused);
    await page.selectOption('[data-testid=speed-select]', '1');
  });

  it('edits from the keyboard alone: a word in place keeps the times around it; split, merge, undo, redo', async () => {
    const before = await page.$$eval('[data-testid=segment]:first-child [data-testid=word]', (els) => els.map((e) => ({ w: e.textContent!.trim(), start: Number(e.getAttribute('data-start')) })));
    const firstText = (await texts())[0];
    expect(firstText).toMatch(/fellow Americans/i);
    await page.focus('[data-testid=segment-text] >> nth=0');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=segment-input]');
    const edited = firstText.replace(/fellow Americans/i, 'fellow citizens');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(edited);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=segment-input]', { state: 'detached' });
    await expect.poll(async () => (await texts())[0]).toBe(edited);
    const after = await page.$$eval('[data-testid=segment]:first-child [data-testid=word]', (els) => els.map((e) => ({ w: e.textContent!.trim(), start: Number(e.getAttribute('data-start')) })));
    // Words the edit did not touch keep their start exactly; the new word sits between its neighbours.
    for (const w of after.filter((x) => !/citizens/.test(x.w))) expect(before.find((b) => b.w === w.w)?.start).toBe(w.start);
    const k = after.findIndex((x) => /citizens/.test(x.w));
    expect(after[k].start).toBeGreaterThanOrEqual(after[k - 1].start);
    expect(k === after.length - 1 || after[k].start <= after[k + 1].start).toBe(true);

    // Split at the cursor (Alt+Enter) before "fellow", then merge back (Backspace at the start).
    const count = (await texts()).length;
    const cut = edited.indexOf(' fellow');
    await page.focus('[data-testid=segment-text] >> nth=0');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Home');
    for (let i = 0; i < cut; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Alt+Enter');
    await expect.poll(async () => (await texts()).length).toBe(count + 1);
    await expect.poll(async () => (await texts())[0]).toBe(edited.slice(0, cut));
    // The second half is being edited, the cursor at its start.
    await expect.poll(() => page.inputValue('[data-testid=segment-input]')).toBe(edited.slice(cut).trim());
    const split = await segments(page);
    expect(split[1].start).toBeGreaterThan(split[0].start);
    await page.keyboard.press('Home');
    await page.keyboard.press('Backspace');
    await expect.poll(async () => (await texts()).length).toBe(count);
    await expect.poll(() => page.inputValue('[data-testid=segment-input]')).toBe(edited);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await texts())[0]).toBe(edited);

    // Undo (Ctrl+Z) walks back split+merge and the edit; redo (Ctrl+Y) brings them back.
    await page.focus('[data-testid=segment-text] >> nth=0');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Control+z');
    await expect.poll(async () => (await texts())[0]).toBe(firstText);
    for (let i = 0; i < 3; i++) await page.keyboard.press('Control+y');
    await expect.poll(async () => (await texts())[0]).toBe(edited);
    expect(await page.isEnabled('[data-testid=undo]')).toBe(true);
  });

  it('find and replace across the transcript (Ctrl+H), one undo step', async () => {
    const n = (await texts()).join(' ').match(/\bcountry\b/gi)?.length ?? 0;
    expect(n).toBeGreaterThanOrEqual(4);
    await page.focus('[data-testid=segment-text] >> nth=1');
    await page.keyboard.press('Control+h');
    await page.waitForSelector('[data-testid=find-input]:focus');
    await page.keyboard.type('country');
    expect(Number(await page.getAttribute('[data-testid=find-count]', 'data-count'))).toBe(n);
    await page.keyboard.press('Tab');
    await page.keyboard.type('nation');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await texts()).join(' ').match(/\bnation\b/gi)?.length ?? 0).toBe(n);
    expect((await texts()).join(' ')).not.toMatch(/\bcountry\b/i);
    await page.click('[data-testid=undo]');
    expect((await texts()).join(' ').match(/\bcountry\b/gi)?.length).toBe(n);
    await page.click('[data-testid=redo]');
    expect((await texts()).join(' ')).not.toMatch(/\bcountry\b/i);
  });

  it('the review queue: least sure first, play, correct, accept, progress', async () => {
    // Everything below 0.99 is queued so the order and the progress can be checked on a short file.
    await page.fill('[data-testid=review-threshold]', '0.99');
    const items = await page.$$eval('[data-testid=review-item]', (els) => els.map((e) => ({ id: e.getAttribute('data-id')!, c: Number(e.getAttribute('data-confidence')) })));
    expect(items.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < items.length; i++) expect(items[i].c).toBeGreaterThanOrEqual(items[i - 1].c);
    expect(await page.getAttribute('[data-testid=review-progress]', 'data-done')).toBe('0');
    expect(await page.textContent('[data-testid=review-progress]')).toBe(`0 of ${items.length} reviewed`);
    expect(await page.getAttribute('[data-testid=review-current]', 'data-id')).toBe(items[0].id);
    // Play the item: the player runs inside its span and stops at its end.
    const span = await page.$eval(`[data-testid=segment][data-id="${items[0].id}"]`, (el) => [Number(el.getAttribute('data-start')), Number(el.getAttribute('data-end'))]);
    await page.click('[data-testid=review-play]');
    await page.waitForFunction(() => !(document.querySelector('[data-testid=player]') as HTMLMediaElement).paused);
    expect(await currentTime()).toBeGreaterThanOrEqual(span[0] - 0.05);
    await page.waitForFunction(() => (document.querySelector('[data-testid=player]') as HTMLMediaElement).paused, null, { timeout: 30_000 });
    expect(await currentTime()).toBeCloseTo(span[1], 0);
    // Correct the first, accept the second as it is.
    await page.fill('[data-testid=review-text]', 'Corrected by a person.');
    await page.click('[data-testid=review-accept]');
    await expect.poll(() => page.getAttribute('[data-testid=review-progress]', 'data-done')).toBe('1');
    expect(await page.getAttribute('[data-testid=review-current]', 'data-id')).toBe(items[1].id);
    await page.click('[data-testid=review-accept]');
    expect(await page.textContent('[data-testid=review-progress]')).toBe(`2 of ${items.length} reviewed`);
    expect(await page.textContent(`[data-testid=segment][data-id="${items[0].id}"] [data-testid=segment-text]`)).toBe('Corrected by a person.');
    // Unsure words are marked while the switch is on.
    const low = await page.$$eval('[data-testid=word]', (els) => els.filter((e) => Number(e.getAttribute('data-probability')) < 0.5).length);
    if (low) expect(await page.locator('[data-testid=word].low').count()).toBe(low);
    await page.uncheck('[data-testid=mark-low]');
    expect(await page.locator('[data-testid=word].low').count()).toBe(0);
  });

  it('the fine-tuning dataset: WAV clips cut at the segment times, metadata.jsonl and swift.jsonl with the corrected text', async () => {
    const reviewed = await page.$$eval('[data-testid=segment][data-reviewed=true], [data-testid=segment][data-edited=true]', (els) =>
      els.map((e) => ({ start: Number(e.getAttribute('data-start')), end: Number(e.getAttribute('data-end')), text: e.querySelector('[data-testid=segment-text]')!.textContent!.trim() })),
    );
    expect(reviewed.length).toBeGreaterThanOrEqual(2);
    const { name, bytes } = await downloadBytes(page, 'export-dataset');
    expect(name).toBe('editor-jfk2-dataset.zip');
    const zip = unzipSync(new Uint8Array(bytes));
    const rows = strFromU8(zip['data/metadata.jsonl']).trim().split('\n').map((l) => JSON.parse(l) as { file_name: string; transcription: string; language: string });
    const swift = strFromU8(zip['swift.jsonl']).trim().split('\n').map((l) => JSON.parse(l) as { audio: string; text: string });
    expect(rows).toHaveLength(reviewed.length);
    expect(swift).toHaveLength(reviewed.length);
    expect(Object.keys(zip).filter((k) => k.endsWith('.wav'))).toHaveLength(reviewed.length);
    rows.forEach((row, i) => {
      const wav = wavInfo(zip[`data/${row.file_name}`]);
      expect(wav).toMatchObject({ rate: 16_000, channels: 1, bits: 16 });
      // The page shows times to 10 ms; the clip is cut at the segment's own times.
      expect(Math.abs(wav.seconds - (reviewed[i].end - reviewed[i].start))).toBeLessThan(0.02 + 0.01);
      expect(row.transcription).toBe(reviewed[i].text);
      expect(row.language).toBe('en');
      expect(swift[i]).toEqual({ audio: `data/${row.file_name}`, text: reviewed[i].text, language: 'en' });
    });
    expect(rows.map((r) => r.transcription)).toContain('Corrected by a person.');
    console.log(`dataset: ${rows.length} clips, ${rows.map((r, i) => `${wavInfo(zip[`data/${r.file_name}`]).seconds.toFixed(3)} s vs span ${(reviewed[i].end - reviewed[i].start).toFixed(2)} s`).join('; ')}`);
  });

  it('edits survive a reload and appear in every export (JSON keeps the words)', async () => {
    const edited = await texts();
    // Saved at once: reload straight away.
    await page.reload();
    await page.waitForSelector('[data-testid=history-item]');
    await page.click('[data-testid=history-item] >> nth=0 >> [data-testid=history-open]');
    await expect.poll(texts).toEqual(edited);
    // The focus goes to what was opened (not left on the history list, far below).
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('transcript-heading');
    await page.waitForSelector('[data-testid=player]', { timeout: 10_000 }); // the audio is kept with the entry
    const txt = await download(page, 'export-txt');
    for (const t of edited) expect(txt.text).toContain(t);
    const srt = await download(page, 'export-srt');
    expect(srt.text).toContain('Corrected by a person.');
    const json = JSON.parse((await download(page, 'export-json')).text) as JsonExport;
    expect(json.segments.map((s) => s.text.trim())).toEqual(edited);
    const words = json.segments.flatMap((s) => s.words ?? []);
    expect(words.length).toBeGreaterThan(20);
    // Each segment's words spell its text as edited (the review step may have rewritten the
    // segment that held "citizens"; what matters is that words follow the text).
    const squash = (t: string) => t.replace(/\s+/g, '').toLowerCase();
    for (const s of json.segments) if (s.words?.length) expect(squash(s.words.map((w) => w.word).join(''))).toBe(squash(s.text));
    expect(words.some((w) => /citizens/.test(w.word))).toBe(edited.some((t) => /citizens/.test(t)));
    for (const w of words) expect(w.end).toBeGreaterThanOrEqual(w.start);
  });

  it('a model folder picked from the disk loads and transcribes with the network off', async () => {
    await openSettings(page);
    await page.selectOption('[data-testid=source-select]', 'folder');
    await page.setInputFiles('[data-testid=model-folder-input]', TINY_EN_MODEL);
    await expect.poll(() => page.textContent('[data-testid=model-folder-name]')).toMatch(/whisper-tiny\.en.*files/);
    const before = server.requests.length;
    await context.setOffline(true);
    try {
      await page.click('[data-testid=load-model]');
      await page.waitForSelector('[data-testid=status][data-state=loading]');
      await page.waitForSelector('[data-testid=status]:not([data-state=loading])', { timeout: 120_000 });
      expect(await page.$('[data-testid=error]'), logs.join('\n')).toBeNull();
      expect(await page.textContent('[data-testid=model-line]')).toMatch(/whisper-tiny\.en · WASM q8\/q8/);
      await fileMode(page);
      const r = await transcribe(page, join(SHARED, 'audio/en/jfk.wav'));
      expect(r.state, logs.join('\n')).toBe('done');
      expect(r.segments.map((s) => s.text).join(' ')).toMatch(/ask not what your country can do for you/i);
    } finally {
      await context.setOffline(false);
    }
    expect(server.requests.slice(before).filter((u) => u.includes('/models/')), 'nothing of the model came over the network').toEqual([]);
    // A folder without config.json is refused with a reason, before any load.
    await page.setInputFiles('[data-testid=model-folder-input]', join(TINY_EN_MODEL, 'onnx'));
    await expect.poll(() => page.textContent('[data-testid=folder-problem]')).toMatch(/no config\.json/);
  });
});
