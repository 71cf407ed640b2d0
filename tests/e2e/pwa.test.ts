/**
 * Installable, offline, private — against the production build served like a static host that
 * sends no COOP/COEP headers (GitHub Pages), in headless Chromium with a fake microphone.
 *
 * One browser context runs the story in order: first visit (no service worker yet: the app
 * works single-threaded), the service worker takes over (manifest + worker pass Chromium's own
 * installability check, and it supplies cross-origin isolation), offline reload with a file and
 * the microphone, zero requests and no audio on the wire once the model is loaded, offline mode
 * refusing other origins, a reload in the middle of a job and its resume, the storage view,
 * the history (open, rename, delete), and a new version that waits for the user's Reload.
 * The story runs with real Whisper tiny.en (../shared/models) on real English clips.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRandomModel } from '../fixtures/models/make-random-model';
import { readWav } from '../fixtures/wav';
import { normalise, wer } from '../fixtures/wer';
import { fileMode, openSettings, pressRecord, recordLive, segments, transcribe, type SegmentOut } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { ROOT, TINY_EN_MODEL, have, joinWithPauses, longEnglishRecording, speechClips, type Clip } from './fixtures';
import { startServer, type TestServer } from './server';

const RANDOM = 'earshot-random-mechanics';
const TINY_DIMS = 'earshot-random-tiny-dims';

/** A model that really recognises speech, with clips it gets right: the story runs once per model here. */
interface Recognizer {
  id: string;
  dir: string;
  present: boolean;
  clips: () => Clip[];
}

/** Real Whisper tiny.en and three clean English clips it gets right. */
const RECOGNIZERS: Recognizer[] = [
  {
    id: 'whisper-tiny.en',
    dir: TINY_EN_MODEL,
    present: existsSync(join(TINY_EN_MODEL, 'config.json')),
    clips: () => speechClips('en').filter((c) => /jfk|1995-1837|8455-210777/.test(c.file)),
  },
];
for (const r of RECOGNIZERS) if (!r.present) console.warn(`PWA/offline tests with ${r.id} skipped: ${r.dir} is not there (yet); see ../shared/README.md`);

/** Added to the built service worker to make "the next version" of the app: it answers a version question. */
const NEXT_VERSION_SW = `
self.addEventListener('message', (e) => { if (e.data && e.data.type === 'TEST_VERSION?') e.source.postMessage({ type: 'TEST_VERSION', version: 'next' }); });
`;

interface SeenRequest {
  url: string;
  method: string;
  body: Buffer | null;
}

function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

for (const recognizer of RECOGNIZERS) {
  describe.skipIf(!recognizer.present || !haveChromium() || !have('sox'))(`installable, offline and private (static host without headers), with ${recognizer.id}`, () => {
    const MODEL = recognizer.id;
    let server: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let logs: string[];
    const seen: SeenRequest[] = [];
    let clips: Clip[] = [];
    let micFile = '';
    let appUrl = '';

    const cspViolations = async () => [
      ...logs.filter((l) => /Content Security Policy/i.test(l)),
      ...((await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []).catch(() => [])) as string[]),
    ];

    async function ready() {
      await page.waitForSelector('[data-testid=status]');
      await openSettings(page);
    }

    /** A model from the test server (the custom source, any id). */
    async function useModel(id: string) {
      await page.selectOption('[data-testid=source-select]', 'custom');
      await page.fill('[data-testid=source-url]', `${server.url}/models`);
      await page.selectOption('[data-testid=model-select]', '__custom__');
      await page.fill('[data-testid=model-id]', id);
    }

    async function loadModel() {
      await page.click('[data-testid=load-model]');
      await page.waitForFunction(() => /Ready|就绪/.test(document.querySelector('[data-testid=status]')?.textContent ?? '') || document.querySelector('[data-testid=error]'), null, { timeout: 120_000 });
    }

    beforeAll(async () => {
      clips = recognizer.clips();
      micFile = joinWithPauses(`pwa-mic-${MODEL}.wav`, clips.map((c) => c.file), [1.5]);
      server = await startServer(
        join(ROOT, 'dist'),
        { [MODEL]: recognizer.dir, [RANDOM]: ensureRandomModel('mechanics'), [TINY_DIMS]: ensureRandomModel('tiny-dims') },
        {},
        { isolation: false },
      );
      browser = await launch({ fakeMicWav: micFile });
      context = await browser.newContext({ acceptDownloads: true });
      await context.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      context.on('request', (r: Request) => seen.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
      page = await context.newPage();
      logs = watchConsole(page);
      appUrl = `${server.url}/?models=${encodeURIComponent(`${server.url}/models`)}&model=${MODEL}`;
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('works on the first visit before the service worker (single-threaded), then the worker takes over and isolates the page', async () => {
      await page.goto(appUrl);
      await ready();
      expect(await page.evaluate(() => crossOriginIsolated), 'no COOP/COEP from this host').toBe(false);
      await page.selectOption('[data-testid=device-select]', 'wasm');
      await page.selectOption('[data-testid=dtype-select]', 'q8');
      await loadModel();
      expect(await page.textContent('[data-testid=status]')).toMatch(/WASM ×1/);
      const r = await transcribe(page, clips[0].file);
      expect(r.state).toBe('done');
      expect(wer([{ reference: clips[0].reference, hypothesis: r.segments.map((s) => s.text).join(' ') }])).toBeLessThan(0.2);

      // The worker installed meanwhile and claimed the page; the next load comes through it.
      await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 60_000 });
      await page.reload();
      await ready();
      expect(await page.evaluate(() => crossOriginIsolated), 'the service worker supplies COOP/COEP').toBe(true);
      await page.selectOption('[data-testid=device-select]', 'wasm');
      await page.selectOption('[data-testid=dtype-select]', 'q8');
      await loadModel();
      expect(await page.textContent('[data-testid=status]')).toMatch(/WASM ×[2-4]/);
    });

    it('is installable: manifest fields and icons valid, worker in control (Chromium’s own check)', async () => {
      const manifestHref = await page.getAttribute('link[rel=manifest]', 'href');
      expect(manifestHref).toBeTruthy();
      const manifest = await page.evaluate(async (href) => (await fetch(href!)).json(), manifestHref);
      expect(manifest).toMatchObject({ name: expect.stringContaining('Earshot'), short_name: 'Earshot', display: 'standalone', start_url: './' });
      expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
      expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
      const want = [['192x192', 'any'], ['512x512', 'any'], ['512x512', 'maskable']];
      for (const [sizes, purpose] of want) {
        const icon = manifest.icons.find((i: { sizes: string; purpose: string }) => i.sizes === sizes && i.purpose === purpose);
        expect(icon, `${sizes} ${purpose}`).toBeTruthy();
        const bytes = Buffer.from(await page.evaluate(async (src) => [...new Uint8Array(await (await fetch(src)).arrayBuffer())], new URL(icon.src, new URL(manifestHref!, server.url)).href));
        expect(pngSize(bytes).join('x')).toBe(sizes);
      }
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
      // Playwright's contexts are incognito profiles, where Chromium never offers installing.
      expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
    });

    it('loads and transcribes a file and the microphone with the network off', async () => {
      await context.setOffline(true);
      try {
        await page.reload();
        await ready();
        await page.selectOption('[data-testid=device-select]', 'wasm');
        await page.selectOption('[data-testid=dtype-select]', 'q8');
        await loadModel();
        expect(await page.textContent('[data-testid=status]'), logs.join('\n')).toMatch(/Ready/);
        const file = await transcribe(page, clips[1].file);
        expect(file.state).toBe('done');
        expect(wer([{ reference: clips[1].reference, hypothesis: file.segments.map((s) => s.text).join(' ') }])).toBeLessThan(0.2);

        const length = readWav(micFile).channels[0].length / 16_000 - 0.75;
        const live = await recordLive(page, length);
        const liveWer = wer([{ reference: clips.map((c) => c.reference).join(' '), hypothesis: live.segments.map((s) => s.text).join(' ') }]);
        expect(liveWer, JSON.stringify(live.segments)).toBeLessThan(0.2);
      } finally {
        await context.setOffline(false);
      }
    });

    it('makes no request at all once the model is loaded, sends no audio ever, and breaks no CSP rule', async () => {
      const atReload = server.requests.length;
      await page.reload();
      await ready();
      await page.selectOption('[data-testid=device-select]', 'wasm');
      await page.selectOption('[data-testid=dtype-select]', 'q8');
      await loadModel();
      // Each page load registers the service worker again, which makes the browser check for a new
      // version (a GET of sw.js): that is how updates arrive. Let it finish before counting.
      await expect.poll(() => server.requests.slice(atReload).includes('/sw.js'), { timeout: 10_000 }).toBe(true);
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.installing && new Promise((r) => setTimeout(r, 500)));
      const serverBefore = server.requests.length;
      const seenBefore = seen.length;
      const file = await transcribe(page, clips[2].file);
      expect(file.state).toBe('done');
      await recordLive(page, 4);
      const during = seen.slice(seenBefore);
      expect(server.requests.slice(serverBefore), 'requests that reached the network').toEqual([]);
      // (blob: URLs are the player reading the file from memory: they never leave the page.)
      expect(during.filter((r) => !r.url.startsWith(server.url) && !r.url.startsWith(`blob:${server.url}/`)).map((r) => r.url), 'requests to other origins').toEqual([]);
      // Nothing in the whole session carried a body: no audio (or anything else) was ever uploaded.
      expect(seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`)).toEqual([]);
      expect(seen.filter((r) => r.body && r.body.length > 0).map((r) => r.url)).toEqual([]);
      expect(await cspViolations()).toEqual([]);
    });

    it('offline mode refuses to contact any other origin', async () => {
      const before = seen.length;
      await page.selectOption('[data-testid=source-select]', 'huggingface');
      await page.selectOption('[data-testid=model-select]', 'onnx-community/whisper-tiny_timestamped');
      await page.check('[data-testid=offline-mode]');
      await page.click('[data-testid=load-model]');
      await page.waitForSelector('[data-testid=error]');
      expect(await page.textContent('[data-testid=error]')).toMatch(/Offline mode is on.*huggingface\.co/);
      expect(seen.slice(before).filter((r) => !r.url.startsWith(server.url)).map((r) => r.url)).toEqual([]);
      // The same click with the switch off does try the hub (which this sandbox cannot reach).
      await page.click('[data-testid=error] button');
      await page.uncheck('[data-testid=offline-mode]');
      await page.click('[data-testid=load-model]');
      await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.getAttribute('data-state') !== 'loading' && !!document.querySelector('[data-testid=error]'), null, { timeout: 60_000 });
      expect(seen.slice(before).some((r) => r.url.startsWith('https://huggingface.co/'))).toBe(true);
      await page.click('[data-testid=error] button');
    });

    it('keeps a job interrupted by a reload and resumes it without repeating or losing text', async () => {
      // Two rounds of the clips (≈ 4.3 minutes, ~9 windows): long enough to reload mid-file with
      // text saved and windows still to go.
      const { file: long, clips: longClips } = longEnglishRecording(2);
      await useModel(MODEL);
      await page.selectOption('[data-testid=device-select]', 'wasm');
      await page.selectOption('[data-testid=dtype-select]', 'q8');
      // The same file straight through, for comparison.
      const straight = await transcribe(page, long, 480_000);
      expect(straight.state).toBe('done');

      await fileMode(page);
      await page.setInputFiles('[data-testid=file-input]', long);
      await page.click('[data-testid=transcribe]');
      await page.waitForSelector('[data-testid=status][data-phase=transcribing]', { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=transcript] [data-testid=segment]').length >= 4, null, { timeout: 240_000 });
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-saved-until') || 0) > 0, undefined, { timeout: 30_000 }); // the history has written text of this entry
      await page.reload();
      await ready();
      const item = page.locator('[data-testid=history-item][data-state=interrupted]').first();
      await item.waitFor({ timeout: 30_000 });
      await item.locator('[data-testid=history-open]').click();
      const saved: SegmentOut[] = await segments(page);
      expect(saved.length).toBeGreaterThanOrEqual(3);
      expect(saved.length).toBeLessThan(straight.segments.length);

      await page.selectOption('[data-testid=device-select]', 'wasm');
      await page.selectOption('[data-testid=dtype-select]', 'q8');
      const id = await item.getAttribute('data-id');
      await item.locator('[data-testid=history-resume]').click();
      await page.waitForSelector('[data-testid=status][data-state=transcribing]', { timeout: 60_000 });
      await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 480_000 });
      const resumed = await segments(page);
      // What was saved stays as it was; the rest continues after it, never before.
      expect(resumed.slice(0, saved.length)).toEqual(saved);
      for (let i = saved.length; i < resumed.length; i++) expect(resumed[i].start).toBeGreaterThanOrEqual(resumed[i - 1].end - 0.011);
      // The resumed job says what the uninterrupted one says: scored against what was spoken, a
      // lost window (~30 s of a 4-minute file) or a repeated one adds ≥ 7 points of WER. (Compared
      // with each other the two runs differ by 0.5–6 %: ONNX Runtime's threads sum in varying order,
      // and the resumed windows start at the saved end, so a few boundaries are worded apart.)
      const reference = longClips.map((c) => c.reference).join(' ');
      const werOf = (s: SegmentOut[]) => wer([{ reference, hypothesis: s.map((x) => x.text).join(' ') }]);
      const [straightWer, resumedWer] = [werOf(straight.segments), werOf(resumed)];
      const words = (s: SegmentOut[]) => normalise(s.map((x) => x.text).join(' ')).length;
      console.log(`[pwa] resume: ${saved.length} segments saved before the reload, ${resumed.length} after resuming, ${straight.segments.length} straight through; WER ${(resumedWer * 100).toFixed(1)} % resumed vs ${(straightWer * 100).toFixed(1)} % straight; ${words(resumed)} words vs ${words(straight.segments)}`);
      expect(resumedWer).toBeLessThan(straightWer + 0.03);
      // The history is written just after the status turns "done".
      await expect.poll(() => page.getAttribute(`[data-testid=history-item][data-id="${id}"]`, 'data-state'), { timeout: 5_000 }).toBe('complete');
    });

    it('lists the models on the device with their size, deletes one, and explains a full quota', async () => {
      const list = page.locator('[data-testid=storage-item]');
      await expect.poll(async () => list.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), { timeout: 10_000 }).toContain(MODEL);
      const stored = page.locator(`[data-testid=storage-item][data-id="${MODEL}"]`);
      expect(Number(await stored.getAttribute('data-bytes'))).toBeGreaterThan(100_000);
      await stored.locator('[data-testid=storage-delete]').click();
      await expect.poll(async () => page.locator(`[data-testid=storage-item][data-id="${MODEL}"]`).count()).toBe(0);
      const left = await page.evaluate(async (id) => (await (await caches.open('transformers-cache')).keys()).filter((r) => r.url.includes(`/${id}/`)).length, MODEL);
      expect(left).toBe(0);

      // Leave this site 1 MB of room, then load a model of tens of MB.
      const cdp = await context.newCDPSession(page);
      const used = Number(await page.getAttribute('[data-testid=storage-usage]', 'data-used'));
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: used + 1_000_000 });
      try {
        await useModel(TINY_DIMS);
        await page.click('[data-testid=load-model]');
        await page.waitForSelector('[data-testid=error]', { timeout: 180_000 });
        expect(await page.textContent('[data-testid=error]')).toMatch(/not enough storage to keep/);
        expect(await page.getAttribute('[data-testid=status]', 'data-state'), 'the model still loaded, for this session').not.toBe('error');
        const partial = await page.evaluate(async (id) => (await (await caches.open('transformers-cache')).keys()).filter((r) => r.url.includes(`/${id}/`)).length, TINY_DIMS);
        expect(partial, 'nothing half written left behind').toBe(0);
        await page.click('[data-testid=error] button');

        // A catalog model bigger than the room left: a warning before anything downloads. (Chromium's
        // quota override limits writes but not what storage.estimate() reports, so the estimate is
        // made to say what a nearly full phone would.)
        await page.evaluate(() => {
          navigator.storage.estimate = async () => ({ quota: 60_000_000, usage: 50_000_000 });
        });
        const before = seen.length;
        await page.selectOption('[data-testid=source-select]', 'huggingface');
        await page.selectOption('[data-testid=model-select]', 'onnx-community/whisper-base_timestamped');
        await page.click('[data-testid=load-model]');
        await page.waitForSelector('[data-testid=quota-warning]');
        expect(await page.textContent('[data-testid=quota-warning]')).toMatch(/needs about .* only .* is free/);
        expect(seen.slice(before).filter((r) => r.url.includes('huggingface')).length).toBe(0);
      } finally {
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url });
      }
      expect(await cspViolations()).toEqual([]);
    });

    it('keeps the history across reloads: open an entry, rename it, delete it with its audio', async () => {
      await page.reload();
      await ready();
      const items = page.locator('[data-testid=history-item]');
      await items.first().waitFor();
      const count = await items.count();
      const live = page.locator('[data-testid=history-item][data-state=complete]', { hasText: 'Recording' }).first();
      const id = (await live.getAttribute('data-id'))!;
      const item = () => page.locator(`[data-testid=history-item][data-id="${id}"]`);
      // Listed with its length, the language that was spoken (the setting is "auto") and the model.
      expect(await item().locator('.meta').textContent()).toMatch(/ · \d+:\d\d · English · whisper-tiny\.en/);

      // Open: its transcript comes back on screen.
      await item().locator('[data-testid=history-open]').click();
      expect((await segments(page)).length).toBeGreaterThan(0);

      // Rename, with the keyboard; the name survives a reload.
      await item().locator('[data-testid=history-rename]').click();
      await page.fill('[data-testid=history-rename-input]', 'Ward round 3 · 查房');
      await page.keyboard.press('Enter');
      await expect.poll(() => item().locator('[data-testid=history-open]').textContent()).toBe('Ward round 3 · 查房');
      await page.reload();
      await ready();
      await expect.poll(() => item().locator('[data-testid=history-open]').textContent(), { timeout: 10_000 }).toBe('Ward round 3 · 查房');

      // Delete asks first, then removes the entry and its recording for good.
      const hasAudio = () =>
        page.evaluate(
          (key) =>
            new Promise<boolean>((resolve) => {
              const open = indexedDB.open('earshot');
              open.onsuccess = () => {
                const req = open.result.transaction('audio').objectStore('audio').count(key);
                req.onsuccess = () => {
                  resolve(req.result > 0);
                  open.result.close();
                };
              };
            }),
          id,
        );
      expect(await hasAudio()).toBe(true);
      await item().locator('[data-testid=history-delete]').click();
      expect(await item().count(), 'nothing is deleted before the confirmation').toBe(1);
      await item().locator('[data-testid=history-delete-confirm]').click();
      await expect.poll(() => item().count()).toBe(0);
      await page.reload();
      await ready();
      await items.first().waitFor();
      expect(await items.count()).toBe(count - 1);
      expect(await item().count()).toBe(0);
      expect(await hasAudio()).toBe(false);
    });

    it('offers a new version and swaps it in only when the user says so, never during a recording', async () => {
      const version = () =>
        page.evaluate(
          () =>
            new Promise<string | null>((resolve) => {
              const sw = navigator.serviceWorker;
              sw.addEventListener('message', (e: MessageEvent) => e.data?.type === 'TEST_VERSION' && resolve(e.data.version));
              sw.controller?.postMessage({ type: 'TEST_VERSION?' });
              setTimeout(() => resolve(null), 1500);
            }),
        );
      expect(await version(), 'this version does not know the question').toBeNull();
      server.override('/sw.js', `${readFileSync(join(ROOT, 'dist/sw.js'), 'utf8')}\n${NEXT_VERSION_SW}`);
      try {
        await useModel(MODEL);
        await page.selectOption('[data-testid=device-select]', 'wasm');
        await page.selectOption('[data-testid=dtype-select]', 'q8');
        await pressRecord(page);
        await page.waitForSelector('[data-testid=live-panel][data-live=recording]', { timeout: 60_000 });
        // The browser finds the new version (as it does on a navigation, or on the app's own check).
        await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
        await page.waitForSelector('[data-testid=update-banner]', { timeout: 30_000 });
        expect(await page.isDisabled('[data-testid=update-reload]'), 'no reload offered mid-recording').toBe(true);
        await page.waitForTimeout(1000);
        expect(await page.getAttribute('[data-testid=live-panel]', 'data-live')).toBe('recording');
        expect(await version(), 'the running version stays in control').toBeNull();

        await page.click('[data-testid=stop]');
        await page.waitForSelector('[data-testid=recording-kept]', { timeout: 120_000 });
        await page.waitForSelector('[data-testid=update-reload]:not([disabled])');
        await Promise.all([page.waitForEvent('load', { timeout: 30_000 }), page.click('[data-testid=update-reload]')]);
        await ready();
        expect(await version(), 'the new version is in control after the reload').toBe('next');
        expect(await page.locator('[data-testid=update-banner]').count()).toBe(0);
        // The session recorded before the swap is in the history.
        expect(await page.locator('[data-testid=history-item][data-state=complete]', { hasText: 'Recording' }).count()).toBeGreaterThan(0);
      } finally {
        server.override('/sw.js', null);
      }
    });
  });
}
