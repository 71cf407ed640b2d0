/**
 * The batch queue end to end in Chromium, with the toy model that knows the memorized clips
 * exactly (earshot-test-memorized, fp32 WASM): ten files with a corrupt one, a reload in the
 * middle of a long file, "export all", a repeat recognised from the history, reorder, pause and
 * resume, retry and remove. What a person would check: each file's text, its state, nothing
 * transcribed twice, nothing lost.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import mammoth from 'mammoth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, parseCues } from '../../src/domain/transcript/formats';
import { downloadBytes, fileMode, openApp } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { FIXTURES, MEMORIZED_MODEL, ROOT, badFiles, have, joinWithPauses, memorizedClips } from './fixtures';
import { startServer, type TestServer } from './server';
import { wer } from '../fixtures/wer';

const MODEL = 'earshot-test-memorized';
const ready = haveChromium() && have('sox') && existsSync(join(MEMORIZED_MODEL, 'config.json'));
if (!ready) console.warn('queue tests skipped: needs Chromium, sox and ../shared/models/earshot-test-memorized');

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9 ]/g, ' ').replace(/\s+/g, ' ').trim();

interface Item {
  name: string;
  state: string;
  text: string;
  entry: string | null;
  reused: boolean;
}

async function items(page: Page): Promise<Item[]> {
  return page.$$eval('[data-testid=queue-item]', (els) =>
    els.map((el) => ({
      name: el.getAttribute('data-name') ?? '',
      state: el.getAttribute('data-state') ?? '',
      text: el.querySelector('[data-testid=queue-item-state]')?.textContent?.trim() ?? '',
      entry: el.getAttribute('data-entry'),
      reused: el.getAttribute('data-reused') === 'true',
    })),
  );
}

/** Wait until no file is queued or running (the queue ran out). */
async function settled(page: Page, timeout = 180_000) {
  await page.waitForFunction(
    () => {
      const all = [...document.querySelectorAll('[data-testid=queue-item]')];
      return all.length > 0 && all.every((el) => ['done', 'error'].includes(el.getAttribute('data-state') ?? ''));
    },
    undefined,
    { timeout, polling: 200 },
  );
}

async function historyNames(page: Page): Promise<{ name: string; state: string; id: string }[]> {
  return page.$$eval('[data-testid=history-item]', (els) =>
    els.map((el) => ({ name: el.querySelector('[data-testid=history-open]')?.textContent?.trim() ?? '', state: el.getAttribute('data-state') ?? '', id: el.getAttribute('data-id') ?? '' })),
  );
}

interface SavedEntry {
  segments: { start: number; end: number; text: string }[];
  completedUntil: number;
  duration: number;
  state: string;
}

/** A history entry as stored (IndexedDB), read the way the app reads it. */
async function readEntry(page: Page, id: string): Promise<SavedEntry | undefined> {
  return page.evaluate(
    (key) =>
      new Promise<SavedEntry | undefined>((resolve, reject) => {
        const open = indexedDB.open('earshot');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('transcripts').objectStore('transcripts').get(key);
          req.onsuccess = () => {
            open.result.close();
            resolve(req.result);
          };
          req.onerror = () => reject(req.error);
        };
      }),
    id,
  );
}

describe.skipIf(!ready)('batch queue (toy model, WASM fp32)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  const clips = ready ? memorizedClips() : [];
  const dir = join(FIXTURES, 'queue');

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    server = await startServer(join(ROOT, 'dist'), { [MODEL]: MEMORIZED_MODEL });
    browser = await launch();
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    logs = watchConsole(page);
    await openApp(page, server, MODEL, 'wasm', 'fp32');
    await fileMode(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('ten files with a corrupt one: nine done, one failed with its reason; a reload mid-file resumes it; export all zips every transcript', async () => {
    const { corrupt } = badFiles();
    // A long file (≈ 3 minutes of the clips with pauses), so the reload lands in the middle of it.
    const long = joinWithPauses('queue-long.wav', clips.slice(10, 22).flatMap((c) => [c.file, c.file, c.file]), [1.5, 0.8, 2.5]);
    const short = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => clips[i]);
    const files = [short[0].file, short[1].file, corrupt, short[2].file, long, ...short.slice(3).map((c) => c.file)];
    expect(files).toHaveLength(10);
    await page.setInputFiles('[data-testid=file-input]', files);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=queue-item][data-state=queued]').length === 10);
    expect((await items(page)).map((i) => i.name)).toEqual(files.map((f) => f.split('/').pop()));

    const titles = new Set<string>();
    const watch = setInterval(() => void page.title().then((t) => titles.add(t)).catch(() => {}), 150);
    await page.click('[data-testid=transcribe]');
    // The reload comes while the long file is a third of the way through (its text so far saved).
    await page.waitForSelector('[data-testid=queue-item][data-name="queue-long.wav"][data-state=running]', { timeout: 120_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-value') || 0) >= 30, undefined, { timeout: 120_000, polling: 50 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-saved-until') || 0) > 0, undefined, { timeout: 30_000 }); // the history has written text of this entry
    const before = await items(page);
    const longEntry = before.find((i) => i.name === 'queue-long.wav')!.entry;
    expect(longEntry, 'the running file has its history entry').toBeTruthy();
    const saved = (await readEntry(page, longEntry!))!;
    expect(saved.completedUntil, 'part of the long file is saved').toBeGreaterThan(0);
    expect(before.filter((i) => i.state === 'done').length).toBeGreaterThanOrEqual(3);
    clearInterval(watch);
    expect([...titles].some((t) => /\d+% \(\d+\/10\)/.test(t)), [...titles].join(' | ')).toBe(true);

    await page.reload();
    // Nothing to press: a queue that was running goes on by itself.
    await settled(page);
    const after = await items(page);
    console.log(`[queue] after reload: ${after.map((i) => `${i.name}:${i.state}`).join(', ')}`);
    expect(after.map((i) => i.name)).toEqual(files.map((f) => f.split('/').pop()));
    expect(after.filter((i) => i.state === 'done')).toHaveLength(9);
    const failed = after.filter((i) => i.state === 'error');
    expect(failed.map((i) => i.name)).toEqual(['corrupt.mp3']);
    expect(failed[0].text, 'the reason names the file').toContain('corrupt.mp3');
    // The long file went on in the entry it had: resumed, not started again.
    expect(after.find((i) => i.name === 'queue-long.wav')!.entry).toBe(longEntry);
    const history = await historyNames(page);
    expect(history.map((h) => h.name).sort()).toEqual(after.filter((i) => i.state === 'done').map((i) => i.name).sort());
    expect(history.every((h) => h.state === 'complete')).toBe(true);

    // Export all, in the formats ticked: one file per transcript per format.
    const wanted = ['txt', 'srt', 'csv', 'docx'];
    for (const box of await page.$$('[data-testid=export-all-format]')) {
      const value = await box.getAttribute('value');
      if (wanted.includes(value!) !== (await box.isChecked())) await box.click();
    }
    const { name, bytes } = await downloadBytes(page, 'export-all');
    expect(name).toMatch(/\.zip$/);
    const zip = unzipSync(new Uint8Array(bytes));
    const names = Object.keys(zip).sort();
    const done = after.filter((i) => i.state === 'done').map((i) => i.name.replace(/\.\w+$/, ''));
    expect(names).toEqual(done.flatMap((b) => wanted.map((ext) => `${b}.en.${ext}`)).sort());
    // Each transcript is its own file's text (the toy model knows these clips), the same in every format.
    const pairs: { reference: string; hypothesis: string }[] = [];
    for (const clip of short) {
      const base = clip.file.split('/').pop()!.replace(/\.wav$/, '');
      const txt = norm(strFromU8(zip[`${base}.en.txt`]));
      pairs.push({ reference: clip.reference, hypothesis: txt });
      const cues = parseCues(strFromU8(zip[`${base}.en.srt`]));
      expect(norm(cues.map((c) => c.text).join(' '))).toBe(txt);
      const rows = parseCsv(strFromU8(zip[`${base}.en.csv`]));
      expect(norm(rows.map((r) => r.text).join(' '))).toBe(txt);
      const docx = await mammoth.extractRawText({ buffer: Buffer.from(zip[`${base}.en.docx`]) });
      expect(norm(docx.value)).toContain(txt);
      expect(docx.value).toMatch(/0:00 – 0:0\d/);
    }
    const score = wer(pairs);
    console.log(`[queue] WER of the eight short files through the queue: ${(score * 100).toFixed(1)} %`);
    expect(score).toBeLessThan(0.1);
    // The long file went on from its saved text: what was saved before the reload is the start of
    // its transcript, and the rest follows it in time — nothing lost, nothing twice.
    const final = (await readEntry(page, longEntry!))!;
    expect(final.segments.slice(0, saved.segments.length).map((x) => x.text)).toEqual(saved.segments.map((x) => x.text));
    expect(final.segments.length).toBeGreaterThan(saved.segments.length);
    for (let k = 1; k < final.segments.length; k++) expect(final.segments[k].start).toBeGreaterThanOrEqual(final.segments[k - 1].end - 0.02);
    expect(final.segments[saved.segments.length].start).toBeGreaterThanOrEqual(saved.completedUntil - 0.02);
    expect(final.completedUntil).toBeCloseTo(final.duration, 1);
    console.log(`[queue] long file: ${saved.segments.length} segments saved up to ${saved.completedUntil.toFixed(1)} s before the reload, ${final.segments.length} after, to ${final.completedUntil.toFixed(1)} of ${final.duration.toFixed(1)} s`);
    expect(logs.filter((l) => l.includes('pageerror'))).toEqual([]);
  });

  it('a file the history already has (same bytes, same settings) is taken from it, and can be transcribed again', async () => {
    const copy = join(dir, 'same-as-clip00.wav');
    const copy2 = join(dir, 'same-as-clip01.wav');
    copyFileSync(clips[0].file, copy);
    copyFileSync(clips[1].file, copy2);
    const entries = (await historyNames(page)).length;
    expect(entries).toBe(9);
    await page.click('[data-testid=queue-clear]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=queue-item]').length === 1); // the failed one stays
    await page.click('[data-testid=queue-item][data-name="corrupt.mp3"] [data-testid=queue-remove]');
    await page.setInputFiles('[data-testid=file-input]', [copy, copy2]);
    await page.waitForSelector('[data-testid=queue-item][data-name="same-as-clip00.wav"][data-state=queued]');
    await page.click('[data-testid=transcribe]');
    await settled(page);
    let [item, second] = await items(page);
    expect([item.reused, second.reused]).toEqual([true, true]);
    expect(item.state).toBe('done');
    expect((await historyNames(page)).length).toBe(entries);
    // Open shows the earlier transcript.
    await page.click('[data-testid=queue-item][data-name="same-as-clip00.wav"] [data-testid=queue-open]');
    await page.waitForFunction((ref) => document.querySelector('[data-testid=transcript]')?.textContent?.toLowerCase().includes(ref), clips[0].reference.toLowerCase().split(' ')[0]);
    await page.click('[data-testid=queue-item][data-name="same-as-clip00.wav"] [data-testid=queue-again]');
    await page.waitForSelector('[data-testid=queue-item][data-name="same-as-clip00.wav"]:not([data-reused])');
    await settled(page);
    [item] = await items(page);
    expect(item.reused).toBe(false);
    expect((await historyNames(page)).length).toBe(entries + 1);
    // One file picked on its own (nothing waiting in the queue) is offered from the history too.
    await page.setInputFiles('[data-testid=file-input]', copy2);
    await page.waitForSelector('[data-testid=repeat-offer]');
    expect(await page.textContent('[data-testid=selected-file]')).toBe('same-as-clip01.wav');
  });

  it('reorder, pause and resume mid-file, retry and remove', async () => {
    await page.click('[data-testid=queue-clear]');
    const { empty } = badFiles();
    const long2 = joinWithPauses('queue-long-2.wav', clips.slice(12, 24).flatMap((c) => [c.file, c.file]), [1, 2]);
    await page.setInputFiles('[data-testid=file-input]', [clips[8].file, clips[9].file, empty, long2]);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=queue-item]').length === 4);
    // clip09 before clip08; the long file first of all.
    await page.click('[data-testid=queue-item][data-name="clip09.wav"] [data-testid=queue-up]');
    for (let i = 0; i < 3; i++) await page.click('[data-testid=queue-item][data-name="queue-long-2.wav"] [data-testid=queue-up]');
    expect((await items(page)).map((i) => i.name)).toEqual(['queue-long-2.wav', 'clip09.wav', 'clip08.wav', 'empty.wav']);

    await page.click('[data-testid=transcribe]');
    await page.waitForSelector('[data-testid=queue-item][data-name="queue-long-2.wav"][data-state=running]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-value') || 0) >= 20, undefined, { timeout: 60_000, polling: 50 });
    await page.click('[data-testid=queue-pause]');
    await page.waitForSelector('[data-testid=queue][data-paused=true] [data-testid=queue-item][data-name="queue-long-2.wav"][data-state=queued]');
    const paused = (await items(page)).find((i) => i.name === 'queue-long-2.wav')!;
    const history = await historyNames(page);
    expect(history.find((h) => h.id === paused.entry)?.state).toBe('cancelled');
    await page.waitForTimeout(500);
    expect((await items(page)).filter((i) => i.state === 'running'), 'paused: nothing runs').toEqual([]);

    await page.click('[data-testid=queue-resume]');
    await settled(page);
    const done = await items(page);
    expect(done.map((i) => i.state)).toEqual(['done', 'done', 'done', 'error']);
    expect(done[0].entry, 'the paused file went on in its own entry').toBe(paused.entry);
    expect(done[3].text).toContain('empty.wav');
    // Finished in the queue's order: the history lists newest first.
    const order = (await historyNames(page)).map((h) => h.name);
    expect(order.indexOf('clip08.wav')).toBeLessThan(order.indexOf('clip09.wav'));
    expect(order.filter((n) => n === 'queue-long-2.wav')).toHaveLength(1);

    await page.click('[data-testid=queue-item][data-name="empty.wav"] [data-testid=queue-retry]');
    await settled(page);
    expect((await items(page)).find((i) => i.name === 'empty.wav')?.state).toBe('error');
    await page.click('[data-testid=queue-item][data-name="empty.wav"] [data-testid=queue-remove]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=queue-item][data-name="empty.wav"]'));
  });

  it('简/繁: the text on screen, its exports and its history entry in the chosen script, phrase by phrase', async () => {
    // A transcript with Chinese in it (typed in by a person: the toy model knows only English).
    await page.click('[data-testid=history-item] >> nth=0 >> [data-testid=history-open]');
    await page.waitForSelector('[data-testid=segment-text]');
    const entryId = await page.getAttribute('[data-testid=history-item].current', 'data-id');
    await page.focus('[data-testid=segment-text] >> nth=0');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=segment-input]');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('这个软件用鼠标打开信息');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=segment-input]', { state: 'detached' });
    const first = () => page.textContent('[data-testid=segment-text] >> nth=0').then((x) => x?.trim());
    await expect.poll(first).toBe('这个软件用鼠标打开信息');

    await page.selectOption('[data-testid=script-select]', 'zh-Hant-TW');
    await expect.poll(first).toBe('這個軟體用滑鼠開啟資訊');
    const srt = await downloadBytes(page, 'export-srt');
    expect(strFromU8(new Uint8Array(srt.bytes))).toContain('這個軟體用滑鼠開啟資訊');
    const csv = await downloadBytes(page, 'export-csv');
    expect(parseCsv(strFromU8(new Uint8Array(csv.bytes)))[0].text).toBe('這個軟體用滑鼠開啟資訊');
    const docx = await downloadBytes(page, 'export-docx');
    expect((await mammoth.extractRawText({ buffer: docx.bytes })).value).toContain('這個軟體用滑鼠開啟資訊');

    await page.selectOption('[data-testid=script-select]', 'zh-Hant-HK');
    await expect.poll(first).toBe('這個軟件用鼠標打開信息');
    await page.selectOption('[data-testid=script-select]', 'original');
    await expect.poll(first).toBe('这个软件用鼠标打开信息');

    // Kept per transcript: chosen, reloaded, opened again from the history.
    await page.selectOption('[data-testid=script-select]', 'zh-Hant-TW');
    await expect.poll(first).toBe('這個軟體用滑鼠開啟資訊');
    await expect.poll(async () => (await readEntry(page, entryId!)) as unknown as { script?: string }).toMatchObject({ script: 'zh-Hant-TW' });
    await page.reload();
    await page.click(`[data-testid=history-item][data-id="${entryId}"] [data-testid=history-open]`);
    await expect.poll(first).toBe('這個軟體用滑鼠開啟資訊');
    expect(await page.inputValue('[data-testid=script-select]')).toBe('zh-Hant-TW');
    // An edit made on the converted text keeps the converted text as the person wrote it.
    const entry = (await readEntry(page, entryId!))!;
    expect(entry.segments[0].text.trim()).toBe('这个软件用鼠标打开信息');
  });
});
