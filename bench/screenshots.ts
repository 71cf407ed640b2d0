/**
 * Every state of the page as a person sees it, at desktop (1280×900) and phone (390×844) widths:
 * `npm run screenshots` → .cache/screenshots/*.png (built app, whisper-tiny.en from ../shared).
 * Also prints where the transcript starts on the page and the axe-core violation count.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { fileMode, openSettings, transcribe } from '../tests/e2e/app';
import { launch } from '../tests/e2e/browser';
import { CACHE, ROOT, SHARED, TINY_EN_MODEL, badFiles } from '../tests/e2e/fixtures';
import { startServer } from '../tests/e2e/server';
import { buildConversation, CONVERSATIONS } from '../tests/fixtures/conversations';
import { writeWav16 } from '../tests/fixtures/wav';

const out = join(CACHE, 'screenshots');
mkdirSync(out, { recursive: true });
const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function violations(page: Page): Promise<string[]> {
  await page.evaluate(axe);
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe.run();
    return r.violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
}

const server = await startServer(join(ROOT, 'dist'), { 'whisper-tiny.en': TINY_EN_MODEL });
const browser = await launch();
// A two-speaker conversation (two readers taking turns), so the speakers state has something to show.
const file = join(CACHE, 'screens-two-speakers.wav');
writeWav16(file, buildConversation(CONVERSATIONS.find((c) => c.name === 'three-clean')!).audio);
for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  await page.goto(`${server.url}/?models=models/&model=whisper-tiny.en`);
  await page.waitForSelector('[data-testid=status]');
  await page.screenshot({ path: join(out, `${name}-1-start.png`) });
  console.log(name, 'start: axe', await violations(page));
  await openSettings(page);
  await page.selectOption('[data-testid=device-select]', 'wasm');
  await page.screenshot({ path: join(out, `${name}-2-settings.png`), fullPage: true });
  await page.click('[data-testid=settings-close]');
  await fileMode(page);
  const r = await transcribe(page, file);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(out, `${name}-3-done.png`) });
  await page.screenshot({ path: join(out, `${name}-4-done-full.png`), fullPage: true });
  const top = await page.evaluate(() => document.querySelector('[data-testid=transcript]')!.getBoundingClientRect().top + window.scrollY);
  console.log(name, r.state, r.segments.length, 'segments; transcript starts at', Math.round(top), 'px; axe', await violations(page));
  await page.click('[data-testid=diarize]');
  await page.waitForSelector('[data-testid=speakers-panel][data-state=done]', { timeout: 120_000 });
  await page.fill('[data-testid=speaker-item] >> nth=0 >> [data-testid=speaker-name]', 'Dr. Lee');
  await page.press('[data-testid=speaker-item] >> nth=0 >> [data-testid=speaker-name]', 'Enter');
  await page.locator('[data-testid=speakers-panel]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, `${name}-4b-speakers.png`) });
  console.log(name, 'speakers:', await page.locator('[data-testid=speaker-item]').count(), '; axe', await violations(page));
  await page.click('[data-testid=segment-text] >> nth=0');
  await page.keyboard.press('Enter');
  await page.screenshot({ path: join(out, `${name}-5-editing.png`) });
  await page.keyboard.press('Enter');
  await page.fill('[data-testid=review-threshold]', '0.95');
  await page.locator('[data-testid=review]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, `${name}-6-review.png`) });
  // An error, where the user is looking; the transcript stays.
  await page.setInputFiles('[data-testid=file-input]', badFiles().corrupt);
  await page.click('[data-testid=transcribe]');
  await page.waitForSelector('[data-testid=error]');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(out, `${name}-7-error.png`) });
  await page.click('[data-testid=mode-mic]');
  await page.screenshot({ path: join(out, `${name}-8-microphone.png`) });
  console.log(name, 'error + microphone: axe', await violations(page));
  // The queue: three files (one of them damaged), running and then done.
  await fileMode(page);
  await page.setInputFiles('[data-testid=file-input]', [join(SHARED, 'audio/en/jfk.wav'), badFiles().corrupt, join(SHARED, 'audio/en/librispeech-1995-1837-0001.wav')]);
  await page.click('[data-testid=transcribe]');
  await page.waitForSelector('[data-testid=queue-item][data-state=running]');
  await page.locator('[data-testid=queue]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, `${name}-9-queue-running.png`) });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=queue-item]')].every((el) => ['done', 'error'].includes(el.getAttribute('data-state') ?? '')), undefined, { timeout: 120_000 });
  await page.locator('[data-testid=queue]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, `${name}-10-queue-done.png`) });
  console.log(name, 'queue: axe', await violations(page));
  await page.close();
}
await browser.close();
await server.close();
