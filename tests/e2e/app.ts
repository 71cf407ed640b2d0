/** Driving the app the way a person (or a script) does: through its stable data-testid hooks. */
import { readFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import type { TestServer } from './server';

export interface SegmentOut {
  start: number;
  end: number;
  text: string;
}

/**
 * Open the app on a model from the test server. `extra` adds URL parameters, e.g. `fallback=0`
 * for random-weight models (no temperature makes them confident: every window would run 6 times).
 */
export async function openApp(page: Page, server: TestServer, modelId: string, device: 'wasm' | 'webgpu', dtype: string, extra = '') {
  await page.goto(`${server.url}/?models=${encodeURIComponent(`${server.url}/models`)}&model=${encodeURIComponent(modelId)}${extra ? `&${extra}` : ''}`);
  await openSettings(page);
  await page.selectOption('[data-testid=device-select]', device);
  await page.selectOption('[data-testid=dtype-select]', dtype);
}

/** The settings panel (model, source, device, precision, language, prompt) is opened by the user; it stays open in the tab. */
export async function openSettings(page: Page) {
  await page.waitForSelector('[data-testid=settings-toggle]');
  if ((await page.getAttribute('[data-testid=settings-toggle]', 'aria-expanded')) !== 'true') await page.click('[data-testid=settings-toggle]');
  await page.waitForSelector('[data-testid=settings]');
}

/** The microphone is a mode of the start panel: switch to it and press Record. */
export async function pressRecord(page: Page) {
  if ((await page.getAttribute('[data-testid=mode-mic]', 'aria-selected')) !== 'true') await page.click('[data-testid=mode-mic]');
  await page.click('[data-testid=record]');
}

/** Back to files (after a recording, say). */
export async function fileMode(page: Page) {
  if ((await page.getAttribute('[data-testid=mode-file]', 'aria-selected')) !== 'true') await page.click('[data-testid=mode-file]');
}

export async function state(page: Page): Promise<string> {
  return (await page.getAttribute('[data-testid=status]', 'data-state')) ?? '';
}

/** Choose a file, press Transcribe, wait until done or error. */
export async function transcribe(page: Page, file: string, timeoutMs = 300_000): Promise<{ state: string; segments: SegmentOut[] }> {
  await fileMode(page);
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.click('[data-testid=transcribe]');
  await page.waitForSelector('[data-testid=status][data-state=transcribing], [data-testid=status][data-state=error], [data-testid=status][data-state=loading]', { timeout: 30_000 });
  await page.waitForSelector('[data-testid=status][data-state=done], [data-testid=status][data-state=error]', { timeout: timeoutMs });
  return { state: await state(page), segments: await segments(page) };
}

export async function segments(page: Page): Promise<SegmentOut[]> {
  return page.$$eval('[data-testid=transcript] [data-testid=segment]', (els) =>
    els.map((el) => ({
      start: Number(el.getAttribute('data-start')),
      end: Number(el.getAttribute('data-end')),
      text: el.querySelector('[data-testid=segment-text]')?.textContent?.trim() ?? '',
    })),
  );
}

export async function download(page: Page, testid: string): Promise<{ name: string; text: string }> {
  const [d] = (await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)])) as [Download, void];
  const path = await d.path();
  return { name: d.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

export interface LiveObservation {
  t: number;
  /** The utterance on screen: its start and its stable / tentative parts. */
  start: string | null;
  stable: string;
  tentative: string;
}

/**
 * Press Record, watch the live text every 200 ms until the session clock reaches `seconds`
 * (or `whilePlaying` says stop), press Stop and wait for the kept recording.
 */
export async function recordLive(page: Page, seconds: number, options: { timeoutMs?: number } = {}): Promise<{ observations: LiveObservation[]; segments: SegmentOut[]; recordedSeconds: number }> {
  await pressRecord(page);
  await page.waitForSelector('[data-testid=live-panel][data-live=recording]', { timeout: 60_000 });
  const observations: LiveObservation[] = [];
  const t0 = Date.now();
  for (;;) {
    const o = await page.evaluate(() => {
      const live = document.querySelector('[data-testid=live]');
      const part = (stable: string) => live?.querySelector(`[data-testid=live-segment][data-stable="${stable}"]`)?.textContent?.trim() ?? '';
      return {
        start: live?.getAttribute('data-start') ?? null,
        stable: part('true'),
        tentative: part('false'),
        clock: Number(document.querySelector('[data-testid=live-elapsed]')?.getAttribute('data-seconds') ?? 0),
      };
    });
    observations.push({ t: (Date.now() - t0) / 1000, start: o.start, stable: o.stable, tentative: o.tentative });
    if (o.clock >= seconds) break;
    if (Date.now() - t0 > (options.timeoutMs ?? 300_000)) throw new Error('live session did not reach its length');
    await page.waitForTimeout(200);
  }
  await page.click('[data-testid=stop]');
  await page.waitForSelector('[data-testid=recording-kept]', { timeout: options.timeoutMs ?? 300_000 });
  const recordedSeconds = Number(await page.getAttribute('[data-testid=recording-kept]', 'data-seconds'));
  return { observations, segments: await segments(page), recordedSeconds };
}

export async function downloadBytes(page: Page, testid: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = (await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)])) as [Download, void];
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

/** A history entry as the app stores it (IndexedDB `earshot`, store `transcripts`): the fields tests look at. */
export interface StoredEntry {
  id: string;
  name: string;
  state: string;
  hasAudio: boolean;
  completedUntil: number;
  duration: number;
  segments: { start: number; end: number; text: string }[];
}

/** Every history entry as stored, read the way the app reads it. */
export async function storedEntries(page: Page): Promise<StoredEntry[]> {
  return page.evaluate(
    () =>
      new Promise<StoredEntry[]>((resolve, reject) => {
        const open = indexedDB.open('earshot');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('transcripts').objectStore('transcripts').getAll();
          req.onsuccess = () => {
            open.result.close();
            resolve(req.result);
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );
}
