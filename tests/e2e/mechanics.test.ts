/**
 * The app's mechanics in real headless Chromium against the production build, on WASM and on
 * WebGPU (SwiftShader here), with the project's own random-weight Whisper (its text is
 * nonsense; what is checked is everything around it).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCues } from '../../src/domain/transcript/formats';
import { ensureRandomModel } from '../fixtures/models/make-random-model';
import { download, fileMode, openApp, openSettings, segments, state, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { ROOT, SHARED, badFiles, have, joinWithPauses } from './fixtures';
import { startServer, type TestServer } from './server';

const MODEL = 'earshot-random-mechanics';
const ready = haveChromium() && have('sox');

describe.skipIf(!ready).each([
  { device: 'wasm' as const, dtype: 'q8' },
  { device: 'webgpu' as const, dtype: 'fp32' },
])('mechanics on $device ($dtype)', ({ device, dtype }) => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  let shortFile: string;
  let longFile: string;
  let webgpuMissing = false;

  beforeAll(async () => {
    const dir = ensureRandomModel('mechanics');
    // A folder with a real tokenizer and config but no ONNX weights, like many hub repos.
    server = await startServer(join(ROOT, 'dist'), { [MODEL]: dir, 'no-onnx-model': join(SHARED, 'whisper-config/whisper-tiny') });
    browser = await launch({ webgpu: device === 'webgpu' });
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    logs = watchConsole(page);
    const jfk = join(SHARED, 'audio/en/jfk.wav');
    shortFile = joinWithPauses('mechanics-40s.wav', [jfk, jfk, jfk], [2, 1.5, 0.5]);
    longFile = joinWithPauses('mechanics-10min.wav', Array(50).fill(jfk), [2, 3, 0.5]);
    // Random weights: no temperature makes them confident, and a prompt ends their text.
    await openApp(page, server, MODEL, device, dtype, 'fallback=0');
    await page.uncheck('[data-testid=use-context]');
    if (device === 'webgpu') {
      webgpuMissing = !(await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter())));
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('turns a file into timestamped segments, with progress moving while it works', async (ctx) => {
    if (webgpuMissing) ctx.skip();
    const seen: number[] = [];
    const poll = setInterval(async () => {
      // One round trip for both, so the value belongs to the state it is read with.
      const snap = await page
        .evaluate(() => {
          const status = document.querySelector('[data-testid=status]');
          return { phase: status?.getAttribute('data-phase'), value: document.querySelector('[data-testid=progress]')?.getAttribute('data-value') };
        })
        .catch(() => null);
      if (snap?.phase === 'transcribing' && snap.value) seen.push(Number(snap.value));
    }, 100);
    const result = await transcribe(page, shortFile);
    clearInterval(poll);
    expect(result.state, logs.join('\n')).toBe('done');
    expect(result.segments.length).toBeGreaterThan(0);
    let previousStart = 0;
    for (const s of result.segments) {
      expect(s.start).toBeGreaterThanOrEqual(previousStart);
      expect(s.end).toBeGreaterThanOrEqual(s.start);
      expect(s.end).toBeLessThanOrEqual(40);
      previousStart = s.start;
    }
    // Progress was seen strictly between 0 and 100 %, and never went backwards.
    expect(seen.some((v) => v > 0 && v < 100), `progress values: ${seen.join(',')}`).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await page.getAttribute('[data-testid=progress]', 'data-value')).toBe('100');
    const lang = await page.getAttribute('[data-testid=detected-language]', 'data-lang');
    expect(lang).toMatch(/^[a-z]{2,3}$/);
  });

  it('exports TXT, SRT, WebVTT and JSON that match what is on screen', async (ctx) => {
    if (webgpuMissing) ctx.skip();
    const shown = await segments(page);
    expect(shown.length).toBeGreaterThan(0);

    const srt = await download(page, 'export-srt');
    expect(srt.name).toMatch(/^mechanics-40s\.[a-z]{2,3}\.srt$/); // <file>.<language>.<ext>
    const srtCues = parseCues(srt.text);
    const vtt = await download(page, 'export-vtt');
    expect(vtt.text.startsWith('WEBVTT')).toBe(true);
    const vttCues = parseCues(vtt.text);
    const printable = shown.filter((s) => s.text.trim() !== '');
    for (const cues of [srtCues, vttCues]) {
      expect(cues.length).toBe(printable.length);
      cues.forEach((c, i) => {
        expect(c.start).toBeCloseTo(printable[i].start, 2);
        expect(c.end).toBeCloseTo(printable[i].end, 2);
        expect(c.text).toBe(printable[i].text.trim());
      });
    }
    const txt = await download(page, 'export-txt');
    expect(txt.text.trim().split('\n')).toEqual(printable.map((s) => s.text.trim()));
    const json = JSON.parse((await download(page, 'export-json')).text);
    expect(json.model).toBe(MODEL);
    expect(json.language).toMatch(/^[a-z]{2,3}$/);
    expect(json.completed).toBe(true);
    expect(json.segments.map((s: { text: string }) => s.text)).toEqual(printable.map((s) => s.text.trim()));
  });

  it('runs a 10-minute file to the end', async (ctx) => {
    if (webgpuMissing || device === 'webgpu') ctx.skip();
    const r = await transcribe(page, longFile, 600_000);
    expect(r.state, logs.join('\n')).toBe('done');
    expect(await page.getAttribute('[data-testid=progress]', 'data-value')).toBe('100');
    const duration = Number(execFileSync('soxi', ['-D', longFile], { encoding: 'utf8' }));
    expect(duration).toBeGreaterThan(600);
    expect(r.segments.length).toBeGreaterThan(10);
    expect(r.segments.at(-1)!.end).toBeLessThanOrEqual(duration + 1);
    // Windows reach the last minute of the audio.
    expect(r.segments.at(-1)!.start).toBeGreaterThan(duration - 60);
  });

  it('cancels a long job promptly and keeps the text so far', async (ctx) => {
    if (webgpuMissing) ctx.skip();
    await fileMode(page);
    await page.setInputFiles('[data-testid=file-input]', longFile);
    await page.click('[data-testid=transcribe]');
    // The previous transcript stays until the new file is decoded; then the job's own text appears.
    await page.waitForSelector('[data-testid=status][data-phase=transcribing]', { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=transcript] [data-testid=segment]').length > 0, null, { timeout: 300_000 });
    const before = await segments(page);
    const t0 = Date.now();
    await page.click('[data-testid=cancel]');
    await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60_000 });
    const cancelSeconds = (Date.now() - t0) / 1000;
    const after = await segments(page);
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(Number(await page.getAttribute('[data-testid=progress]', 'data-value'))).toBeLessThan(100);
    // Cancel lands after the current decoder step, not after the window.
    expect(cancelSeconds).toBeLessThan(device === 'wasm' ? 5 : 30);
    const json = JSON.parse((await download(page, 'export-json')).text);
    expect(json.completed).toBe(false);
  });

  // Reading a file does not depend on the device: on WASM only (on SwiftShader the "still works
  // after" transcription alone took two minutes, and the WebGPU file test above already shows it).
  if (device === 'wasm') it('explains a corrupt, empty or cut-short file, keeps the previous transcript, and still works after', async () => {
    const previous = await segments(page);
    const historyBefore = await page.locator('[data-testid=history-item]').count();
    const { corrupt, empty, cut } = badFiles();
    for (const bad of [corrupt, empty, cut]) {
      const r = await transcribe(page, bad);
      expect(r.state).toBe('error');
      const alert = page.locator('[data-testid=error][role=alert]');
      await expect.poll(() => alert.textContent()).toContain(bad.split('/').pop());
      expect(await segments(page)).toEqual(previous);
    }
    // A WAV cut to 100 bytes is named as damaged (not "Done: 0 segments"), and leaves no history entry.
    expect(await page.textContent('[data-testid=error]')).toMatch(/damaged, cut short/);
    // The status line names the file that failed, and whose transcript is still shown.
    const shown = ((await page.textContent('#transcript-heading')) ?? '').split(' · ')[1];
    expect(await page.textContent('[data-testid=status]')).toContain(`“${cut.split('/').pop()}” was not transcribed`);
    if (shown) expect(await page.textContent('[data-testid=status]')).toContain(`The transcript shown is still “${shown}”`);
    expect(await page.locator('[data-testid=history-item]').count()).toBe(historyBefore);
    const r = await transcribe(page, shortFile);
    expect(r.state).toBe('done');
    expect(await page.locator('[data-testid=error]').count()).toBe(0);
    // The job ended: the focus is on its transcript (not left on the Transcribe button above, or the body).
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('transcript-heading');
  });

  it('loads the model from the browser cache the second time (no network request)', async (ctx) => {
    if (webgpuMissing) ctx.skip();
    const modelRequests = () => server.requests.filter((r) => r.startsWith('/models/')).length;
    const before = modelRequests();
    expect(before).toBeGreaterThan(0);
    await page.reload();
    await openApp(page, server, MODEL, device, dtype, 'fallback=0');
    await page.click('[data-testid=load-model]');
    await page.waitForFunction(() => /Ready|就绪/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: 300_000 });
    expect(modelRequests()).toBe(before);
  });

  it('recovers from a crashed worker: says so, keeps the transcript, works again', async (ctx) => {
    if (webgpuMissing || device === 'webgpu') ctx.skip();
    const r = await transcribe(page, shortFile);
    expect(r.state).toBe('done');
    const asrWorker = page.workers().find((w) => /asr\.worker/.test(w.url()));
    expect(asrWorker, page.workers().map((w) => w.url()).join()).toBeTruthy();
    // An uncaught error in the worker, as a wasm abort or out-of-memory would raise.
    await asrWorker!.evaluate(() => setTimeout(() => {
      throw new Error('simulated engine abort');
    }));
    await page.waitForSelector('[data-testid=status][data-state=error]');
    expect(await page.textContent('[data-testid=error]')).toMatch(/stopped unexpectedly/);
    expect(await segments(page)).toEqual(r.segments);
    // The next job starts a new worker: the status leaves "error" for "loading" (the model loads
    // again), then the job runs. (transcribe() would take the old error for this job's result.)
    await fileMode(page);
    await page.setInputFiles('[data-testid=file-input]', shortFile);
    await page.click('[data-testid=transcribe]');
    await page.waitForSelector('[data-testid=status]:is([data-state=loading], [data-state=transcribing])', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=status]:is([data-state=done], [data-state=error])', { timeout: 300_000 });
    expect(await state(page)).toBe('done');
    expect((await segments(page)).length).toBeGreaterThan(0);
  });

  it('says clearly when a model does not exist', async (ctx) => {
    if (webgpuMissing || device === 'webgpu') ctx.skip();
    await page.goto(`${server.url}/?models=${encodeURIComponent(`${server.url}/models`)}&model=no-such-model`);
    await openSettings(page);
    await page.click('[data-testid=load-model]');
    await page.waitForSelector('[data-testid=status][data-state=error]');
    expect(await page.textContent('[data-testid=error]')).toMatch(/No model “no-such-model”/);
    await page.goto(`${server.url}/?models=${encodeURIComponent(`${server.url}/models`)}&model=no-onnx-model`);
    await openSettings(page);
    await page.click('[data-testid=load-model]');
    await page.waitForSelector('[data-testid=status][data-state=error]');
    expect(await page.textContent('[data-testid=error]')).toMatch(/no ONNX weights/);
  });
});
