/**
 * Word timings users can cut audio by, through the UI in headless Chromium: a file built by
 * joining single-word espeak-ng clips with known pauses (every word's true start known to the
 * sample), transcribed by the app and by the plain transformers.js pipeline with
 * `return_timestamps: 'word'` in the same browser, same model files, same 16 kHz samples.
 * Both figures are printed. WebGPU: the same words and times as WASM on a random-weight model
 * that outputs cross-attention (real models are too slow on the software adapter here).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRandomModel } from '../fixtures/models/make-random-model';
import { openApp, transcribe } from './app';
import { BASELINE_DIST, browserBaselineRuns } from './baseline';
import { haveChromium, launch, watchConsole } from './browser';
import { BASE_MODEL, FIXTURES, ROOT, SHARED, TINY_EN_MODEL, have, joinWithPauses, quantile, startErrors, wordTimingFile } from './fixtures';
import { startServer, type TestServer } from './server';

const present = existsSync(join(TINY_EN_MODEL, 'config.json')) && existsSync(join(BASE_MODEL, 'config.json'));
if (!present) console.warn(`word-timing tests skipped: ${TINY_EN_MODEL} or ${BASE_MODEL} not found (../shared is beside the repo in CI)`);
const tools = haveChromium() && have('sox') && have('espeak-ng');

async function wordsOnScreen(page: Page): Promise<{ word: string; start: number; end: number }[]> {
  return page.$$eval('[data-testid=transcript] [data-testid=word]', (els) =>
    els.map((e) => ({ word: e.textContent ?? '', start: Number(e.getAttribute('data-start')), end: Number(e.getAttribute('data-end')) })),
  );
}

function figures(errors: number[]) {
  return { paired: errors.length, median: quantile(errors, 0.5), within030: errors.filter((e) => e <= 0.3).length / errors.length, max: Math.max(...errors) };
}
const show = (f: ReturnType<typeof figures>) => `median |start error| ${f.median.toFixed(3)} s, ${(f.within030 * 100).toFixed(0)} % within 0.30 s, max ${f.max.toFixed(2)} s (${f.paired} words paired)`;

describe.skipIf(!present || !tools)('word timings against known word starts (WASM, q8)', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  const truth = tools ? wordTimingFile() : { file: '', words: [] };

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { 'whisper-tiny.en': TINY_EN_MODEL, 'whisper-base': BASE_MODEL }, { '/baseline/': BASELINE_DIST, '/fixtures/': FIXTURES });
    browser = await launch();
    page = await browser.newPage();
    logs = watchConsole(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const { id, limits } of [
    { id: 'whisper-base', limits: { median: 0.1, within030: 0.9 } },
    { id: 'whisper-tiny.en', limits: { median: 0.15, within030: 0 } },
  ]) {
    it(`${id}: words start where they are spoken (app vs plain pipeline)`, async () => {
      const base = await browserBaselineRuns(browser, server, { id, device: 'wasm', dtype: 'q8' }, 'en', [truth.file], (f) => `${server.url}/fixtures/${relative(FIXTURES, f)}`, true);
      const pipelineWords = base.get(truth.file)!.words ?? [];
      await openApp(page, server, id, 'wasm', 'q8');
      if (id === 'whisper-base') await page.selectOption('[data-testid=language-select]', 'en');
      const r = await transcribe(page, truth.file);
      expect(r.state, logs.slice(-20).join('\n')).toBe('done');
      const app = figures(startErrors(truth.words, await wordsOnScreen(page)));
      const pipeline = figures(startErrors(truth.words, pipelineWords));
      console.log(`${id} word starts on ${truth.words.length} known words — Earshot: ${show(app)}; plain pipeline: ${show(pipeline)}`);
      expect(app.paired).toBeGreaterThanOrEqual(truth.words.length * 0.6);
      expect(app.median).toBeLessThanOrEqual(limits.median);
      expect(app.within030).toBeGreaterThanOrEqual(limits.within030);
      // Never a start inside the word before.
      const words = await wordsOnScreen(page);
      for (let i = 1; i < words.length; i++) expect(words[i].start).toBeGreaterThanOrEqual(words[i - 1].end - 1e-3);
    });
  }
});

describe.skipIf(!haveChromium() || !have('sox'))('word timings on WebGPU (random-weight model with cross-attention, fp32)', () => {
  it('WebGPU gives the same words at the same times as WASM', async (ctx) => {
    const dir = ensureRandomModel('words');
    const server = await startServer(join(ROOT, 'dist'), { 'earshot-random-words': dir });
    const browser = await launch({ webgpu: true });
    try {
      const page = await browser.newPage();
      const gpu = await page.goto(server.url).then(() => page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter())));
      if (!gpu) ctx.skip();
      const jfk = join(SHARED, 'audio/en/jfk.wav');
      // Three windows (the pauses end them): random weights write about one word per window.
      const file = joinWithPauses('timing-webgpu-3x.wav', [jfk, jfk, jfk], [3, 3, 0.5]);
      const runs: { word: string; start: number; end: number }[][] = [];
      for (const device of ['wasm', 'webgpu'] as const) {
        await openApp(page, server, 'earshot-random-words', device, 'fp32', 'fallback=0');
        await page.uncheck('[data-testid=use-context]');
        const r = await transcribe(page, file);
        expect(r.state).toBe('done');
        runs.push(await wordsOnScreen(page));
      }
      const [wasm, webgpu] = runs;
      console.log(`random-weight model: ${wasm.length} words on WASM, ${webgpu.length} on WebGPU; first starts ${wasm.slice(0, 4).map((w) => w.start).join(', ')} | ${webgpu.slice(0, 4).map((w) => w.start).join(', ')}`);
      expect(wasm.length).toBeGreaterThanOrEqual(3);
      expect(webgpu.map((w) => w.word)).toEqual(wasm.map((w) => w.word));
      webgpu.forEach((w, i) => expect(Math.abs(w.start - wasm[i].start)).toBeLessThanOrEqual(0.1));
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
