/**
 * Faults injected at the worst moments, in Chromium, with the toy model that knows the memorized
 * clips (earshot-test-memorized, fp32 WASM): the ASR worker stuck in a call mid-file, the worker
 * closed mid-queue, the WASM heap refusing to grow while a model loads. Each must end in words the
 * user can act on, with the text so far kept, the engine restarted, and the job going on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download, fileMode, openApp, segments, state, storedEntries, transcribe, type SegmentOut } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { MEMORIZED_MODEL, ROOT, TINY_EN_MODEL, have, joinWithPauses, memorizedClips } from './fixtures';
import { startServer, type TestServer } from './server';

const MODEL = 'earshot-test-memorized';
const ready = haveChromium() && have('sox') && existsSync(join(MEMORIZED_MODEL, 'config.json'));
if (!ready) console.warn('reliability tests skipped: needs Chromium, sox and ../shared/models/earshot-test-memorized');

/** The ASR worker (not onnxruntime's pthread workers), waiting for a new one after a restart. */
async function asrWorker(page: Page, not?: Worker): Promise<Worker> {
  for (let i = 0; i < 100; i++) {
    const w = page.workers().find((x) => /asr\.worker/.test(x.url()) && x !== not);
    if (w) return w;
    await page.waitForTimeout(100);
  }
  throw new Error(`no ASR worker among ${page.workers().map((w) => w.url()).join(', ')}`);
}

async function progress(page: Page): Promise<number> {
  return Number((await page.getAttribute('[data-testid=progress]', 'data-value')) || 0);
}

async function historyItems(page: Page): Promise<{ name: string; state: string; id: string }[]> {
  return page.$$eval('[data-testid=history-item]', (els) =>
    els.map((el) => ({ name: el.querySelector('[data-testid=history-open]')?.textContent?.trim() ?? '', state: el.getAttribute('data-state') ?? '', id: el.getAttribute('data-id') ?? '' })),
  );
}

/** Segments in time order, none twice: each starts where the one before ended or later. */
function inOrder(list: SegmentOut[]) {
  for (let k = 1; k < list.length; k++) expect(list[k].start, `segment ${k} "${list[k].text}"`).toBeGreaterThanOrEqual(list[k - 1].end - 0.02);
}

describe.skipIf(!ready)('injected faults (toy model, WASM fp32)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  let long: string;
  const clips = ready ? memorizedClips() : [];

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [MODEL]: MEMORIZED_MODEL, 'whisper-tiny.en': TINY_EN_MODEL });
    browser = await launch();
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    logs = watchConsole(page);
    // ≈ 5 minutes of the clips with pauses: long enough to be stopped in the middle.
    long = joinWithPauses('faults-5min.wav', clips.slice(10, 22).flatMap((c) => [c.file, c.file, c.file, c.file, c.file]), [1.5, 0.8, 2.5]);
    await openApp(page, server, MODEL, 'wasm', 'fp32');
    await fileMode(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a worker stuck mid-file is found within seconds, restarted with the model, and the file resumes where it stopped', async () => {
    await page.setInputFiles('[data-testid=file-input]', long);
    await page.click('[data-testid=transcribe]');
    await page.waitForSelector('[data-testid=status][data-phase=transcribing]', { timeout: 120_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-value') || 0) >= 10, undefined, { timeout: 180_000, polling: 50 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-saved-until') || 0) > 0, undefined, { timeout: 30_000 }); // the history has written text of this entry
    expect(await state(page)).toBe('transcribing');
    const stuck = await asrWorker(page);
    // A call that never returns, as a hung WASM kernel would be: the worker's event loop is gone.
    await stuck.evaluate(() => {
      setTimeout(() => {
        for (;;) {
          /* spin */
        }
      });
    });
    const before = await segments(page);
    const at = await progress(page);
    const t0 = Date.now();
    await page.waitForFunction(() => /stopped responding/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''), undefined, { timeout: 60_000, polling: 100 });
    const detected = (Date.now() - t0) / 1000;
    console.log(`[faults] stuck worker: noticed after ${detected.toFixed(1)} s with ${before.length} segments on screen (${at} %)`);
    expect(detected).toBeLessThan(20);
    expect(await page.textContent('[data-testid=error]')).toMatch(/restarted and the model is loaded again/);
    // The text so far is still on screen.
    const kept = await segments(page);
    expect(kept.slice(0, before.length)).toEqual(before);
    // The model comes back in a new worker by itself; then the error offers to resume.
    await page.waitForSelector('[data-testid=error-action]', { timeout: 60_000 });
    expect(await asrWorker(page, stuck)).toBeTruthy();
    const entries = await historyItems(page);
    const entry = entries.find((e) => e.name === 'faults-5min.wav');
    expect(entry?.state).toBe('interrupted');
    await page.click('[data-testid=error-action]');
    await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 180_000 });
    const after = await segments(page);
    expect(after.slice(0, kept.length).map((s) => s.text)).toEqual(kept.map((s) => s.text));
    expect(after.length).toBeGreaterThan(kept.length);
    inOrder(after);
    // …to the end of the file (its last clip starts within the last 30 s).
    const duration = Number(execFileSync('soxi', ['-D', long], { encoding: 'utf8' }));
    expect(after.at(-1)!.end).toBeGreaterThan(duration - 30);
    // One history entry for the file, complete: resumed, not started again.
    const history = (await historyItems(page)).filter((e) => e.name === 'faults-5min.wav');
    expect(history).toEqual([{ ...entry!, state: 'complete' }]);
    expect(logs.filter((l) => l.includes('pageerror'))).toEqual([]);
  });

  it('a worker closed mid-queue: the queue notices, restarts the engine and goes on; every file done once', async () => {
    // Another long file: the first is in the history now, and the queue would take it from there.
    const long2 = joinWithPauses('faults-long-2.wav', clips.slice(0, 10).flatMap((c) => [c.file, c.file, c.file, c.file, c.file]), [1.2, 2.5]);
    const files = [clips[0].file, long2, clips[1].file];
    await page.setInputFiles('[data-testid=file-input]', files);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=queue-item][data-state=queued]').length === n, files.length);
    const historyBefore = (await historyItems(page)).length;
    await page.click('[data-testid=transcribe]');
    await page.waitForSelector('[data-testid=queue-item][data-name="faults-long-2.wav"][data-state=running]', { timeout: 120_000 }).catch(async (e) => {
      throw new Error(`${e}\n${(await page.$$eval('[data-testid=queue-item]', (els) => els.map((el) => `${el.getAttribute('data-name')}:${el.getAttribute('data-state')}`))).join(', ')}\n${await page.textContent('[data-testid=status]')} ${await page.textContent('[data-testid=error]').catch(() => '')}`);
    });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-value') || 0) >= 10, undefined, { timeout: 180_000, polling: 50 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-saved-until') || 0) > 0, undefined, { timeout: 30_000 }); // the history has written text of this entry
    const closed = await asrWorker(page);
    await closed.evaluate(() => setTimeout(() => self.close()));
    const t0 = Date.now();
    await page.waitForFunction(() => /stopped responding/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''), undefined, { timeout: 60_000, polling: 100 });
    console.log(`[faults] closed worker: noticed after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid=queue-item]')].every((el) => ['done', 'error'].includes(el.getAttribute('data-state') ?? '')),
      undefined,
      { timeout: 240_000, polling: 200 },
    );
    const states = await page.$$eval('[data-testid=queue-item]', (els) => els.map((el) => `${el.getAttribute('data-name')}:${el.getAttribute('data-state')}`));
    expect(states.slice(-3)).toEqual(files.map((f) => `${f.split('/').pop()}:done`));
    const history = await historyItems(page);
    expect(history.length - historyBefore, 'one new entry per file, none twice').toBe(3);
    expect(history.every((h) => h.state === 'complete')).toBe(true);
    await page.click('[data-testid=queue-clear]').catch(() => {});
  });

  it('the heap refusing to grow while a model loads: says there is not enough memory and what to try; the next load works', async () => {
    // A new page (a new, empty worker) whose WebAssembly memory cannot grow, as on a device
    // out of memory; the toy model fits in the initial heap, tiny.en does not.
    const fresh = await context.newPage();
    const freshLogs = watchConsole(fresh);
    await openApp(fresh, server, 'whisper-tiny.en', 'wasm', 'q8');
    const worker = await asrWorker(fresh);
    await worker.evaluate(() => {
      WebAssembly.Memory.prototype.grow = function () {
        throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
      };
    });
    await fresh.click('[data-testid=load-model]');
    await fresh.waitForSelector('[data-testid=status][data-state=error]', { timeout: 120_000 });
    const message = await fresh.textContent('[data-testid=error]');
    console.log(`[faults] heap cannot grow: ${message}`);
    expect(message).toMatch(/Not enough memory to load “whisper-tiny\.en”\. Try a smaller model or a lower precision/);
    // The failed load left a fresh worker behind (its heap is not stuck at a high-water mark).
    expect(await asrWorker(fresh, worker)).toBeTruthy();
    await fresh.click('[data-testid=load-model]');
    await fresh.waitForFunction(() => /Ready|就绪/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), undefined, { timeout: 120_000 });
    expect(await state(fresh)).not.toBe('error');
    expect(freshLogs.filter((l) => l.includes('pageerror'))).toEqual([]);
    await fresh.close();
  });

  describe('storage and network', () => {
    let fresh: BrowserContext;
    let p: Page;
    let pLogs: string[];
    const decoder = `/models/${MODEL}/onnx/decoder_model_merged.onnx`;
    const cachedUrls = () => p.evaluate(async () => (await (await caches.open('transformers-cache')).keys()).map((r) => new URL(r.url).pathname));

    beforeAll(async () => {
      // A new context: empty caches, empty history.
      fresh = await browser.newContext({ acceptDownloads: true });
      p = await fresh.newPage();
      pLogs = watchConsole(p);
    });

    // In front: a hidden page's timers are throttled (to once a minute after a while).
    beforeEach(() => p.bringToFront());

    afterAll(async () => {
      server.cut(decoder, null);
      await fresh?.close();
    });

    it('the network lost mid-download: says the download was cut, keeps no partial file, and Load again fetches only what is missing', async () => {
      server.cut(decoder, 8_000_000); // of 28 MB
      await openApp(p, server, MODEL, 'wasm', 'fp32');
      await p.click('[data-testid=load-model]');
      await p.waitForSelector('[data-testid=status][data-state=error]', { timeout: 120_000 });
      const message = await p.textContent('[data-testid=error]');
      console.log(`[faults] download cut: ${message}`);
      expect(message).toMatch(/download of “earshot-test-memorized” was interrupted.*Files already downloaded are kept/);
      const stored = await cachedUrls();
      expect(stored, 'no partial file stored').not.toContain(decoder);
      expect(stored).toContain(`/models/${MODEL}/config.json`);
      server.cut(decoder, null);
      const before = server.requests.length;
      await p.click('[data-testid=load-model]');
      await p.waitForFunction(() => /Ready|就绪/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), undefined, { timeout: 120_000, polling: 200 });
      const fetched = server.requests.slice(before).filter((r) => r.startsWith(`/models/${MODEL}/`));
      console.log(`[faults] load again fetched: ${fetched.join(', ')}`);
      expect(fetched).toContain(decoder);
      // What was stored whole is not fetched again.
      for (const url of stored) expect(fetched).not.toContain(url);
      expect(await cachedUrls()).toContain(decoder);
    });

    it('a cached model file damaged on the disk: found at the next load, fetched again, and the model works', async () => {
      const size = (await p.evaluate(async (url) => (await (await (await caches.open('transformers-cache')).match(url))!.arrayBuffer()).byteLength, `${server.url}${decoder}`));
      await p.evaluate(async (url) => {
        const cache = await caches.open('transformers-cache');
        await cache.put(url, new Response(new Uint8Array(4096).fill(7), { headers: { 'content-type': 'application/octet-stream', 'content-length': '4096' } }));
      }, `${server.url}${decoder}`);
      await p.reload();
      await openApp(p, server, MODEL, 'wasm', 'fp32');
      const before = server.requests.length;
      const t0 = Date.now();
      await p.click('[data-testid=load-model]');
      await p.waitForFunction(() => /Ready|就绪/.test(document.querySelector('[data-testid=status]')?.textContent ?? '') || document.querySelector('[data-testid=error]'), undefined, { timeout: 120_000, polling: 200 });
      expect(await p.$$eval('[data-testid=error]', (els) => els.map((e) => e.textContent)), pLogs.join('\n')).toEqual([]);
      expect(server.requests.slice(before)).toContain(decoder);
      console.log(`[faults] damaged cache: loaded again in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${pLogs.filter((l) => /failed to load from the cache/.test(l)).length} warning`);
      const after = await p.evaluate(async (url) => (await (await (await caches.open('transformers-cache')).match(url))!.arrayBuffer()).byteLength, `${server.url}${decoder}`);
      expect(after).toBe(size);
      const t1 = Date.now();
      const r = await transcribe(p, clips[4].file);
      console.log(`[faults] then transcribed in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      expect(r.state).toBe('done');
      expect(r.segments.length).toBeGreaterThan(0);
    });

    it('storage full while the history is written: the transcript is on screen, the user is told, and nothing half written is left', async () => {
      const kept = (await storedEntries(p)).map((e) => e.id);
      expect(kept.length).toBeGreaterThan(0);
      // The disk fills up: IndexedDB refuses what does not fit — the recording kept with the entry
      // (≈ 175 kB) — with the error a full quota raises. (Chromium's quota override is not applied
      // to a database that is already open, so the refusal is made where the app meets it.)
      await p.evaluate(() => {
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
          if (value instanceof Blob && value.size > 50_000) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          return put.call(this, value, key);
        };
      });
      {
        const r = await transcribe(p, clips[5].file);
        expect(r.state).toBe('done');
        expect(r.segments.length).toBeGreaterThan(0);
        await p.waitForSelector('[data-testid=history] [role=alert]', { timeout: 10_000 });
        const message = await p.textContent('[data-testid=history] [role=alert]');
        console.log(`[faults] storage full: ${message}`);
        expect(message).toMatch(/Storage is full: the latest transcript is saved, but not its audio/);
        // The export still works: the text is not lost.
        expect((await download(p, 'export-txt')).text.trim().length).toBeGreaterThan(0);
        await p.waitForTimeout(1_500); // the last progress write
      }
      // After a reload: the entries made before are all there, and no broken one was added.
      await p.reload();
      await p.waitForSelector('[data-testid=history]');
      const entries = await storedEntries(p);
      expect(entries.map((e) => e.id).filter((id) => kept.includes(id)).sort()).toEqual([...kept].sort());
      // The new entry is whole without its audio: the text, a finished state, no audio claimed.
      const added = entries.filter((x) => !kept.includes(x.id));
      expect(added.map((e) => [e.name, e.state, e.hasAudio, e.segments.length > 0])).toEqual([[clips[5].file.split('/').pop(), 'complete', false, true]]);
      expect(pLogs.filter((l) => l.includes('pageerror'))).toEqual([]);
    });
  });
});
