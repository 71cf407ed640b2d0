/**
 * The page on a phone (390×844, as an iPhone 12–15 shows it): nothing scrolls sideways after a
 * live recording (the transcript, the player, the review queue and the recording's panel fit the
 * width), and Settings, when opened, is where the user is looking.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, recordLive } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { ROOT, SHARED, TINY_EN_MODEL, toBaselineWav } from './fixtures';
import { startServer, type TestServer } from './server';

const TINY = 'whisper-tiny.en';
const present = existsSync(join(TINY_EN_MODEL, 'config.json')) && existsSync(join(SHARED, 'audio/en/jfk.wav'));
if (!present) console.warn(`phone layout tests skipped: ${TINY_EN_MODEL} or ${SHARED}/audio not found (../shared is beside the repo in CI)`);

/**
 * Whatever sticks out past the viewport's right edge, by test id or tag: the innermost such elements
 * first (the ones that push their parents out), with the start of their text.
 */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length > 0);
    const inner = out.filter((e) => !out.some((o) => o !== e && e.contains(o)));
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.getAttribute('data-testid') ? `[${e.getAttribute('data-testid')}]` : ''}.${e.className} → ${Math.round(e.getBoundingClientRect().right)} "${(e.textContent ?? '').trim().slice(0, 40)}"`;
    return { scrollWidth: document.documentElement.scrollWidth, width, out: [...inner, ...out.filter((e) => !inner.includes(e))].slice(0, 8).map(name) };
  });

describe.skipIf(!present || !haveChromium())('on a phone (390×844, whisper-tiny.en, WASM, fake microphone)', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [TINY]: TINY_EN_MODEL });
    browser = await launch({ fakeMicWav: toBaselineWav(join(SHARED, 'audio/en/jfk.wav')) });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    logs = watchConsole(page);
    await openApp(page, server, TINY, 'wasm', 'q8');
    await page.click('[data-testid=settings-close]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('does not scroll sideways, before or after a live recording', async () => {
    expect(await overflow(page)).toMatchObject({ out: [] });
    const r = await recordLive(page, 8);
    expect(r.segments.length, logs.join('\n')).toBeGreaterThan(0);
    await page.waitForSelector('[data-testid=player]');
    // A word with nowhere to break (a web address the user types in, or one the model heard) in a
    // segment, and every segment in the review queue (threshold 1, whichever words this run of the
    // model happened to be unsure of): neither may widen the page.
    await page.focus('[data-testid=segment-text] >> nth=0');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=segment-input]');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(`See https://example.org/${'recordings/'.repeat(8)}minutes.html for the rest.`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=segment-input]', { state: 'detached' });
    await page.fill('[data-testid=review-threshold]', '1');
    await page.waitForSelector('[data-testid=review-item]');
    const o = await overflow(page);
    expect(o.out).toEqual([]);
    expect(o.scrollWidth).toBeLessThanOrEqual(o.width);
  });

  it('opens Settings where the user is looking', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click('[data-testid=settings-toggle]');
    await page.waitForSelector('[data-testid=settings]');
    await expect.poll(() => page.evaluate(() => document.querySelector('[data-testid=settings]')!.getBoundingClientRect().top)).toBeLessThan(844 * 0.75);
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid=settings]') !== null)).toBe(true);
  });
});
