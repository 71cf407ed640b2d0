/** Driving the app the way a person (or a script) does: through its stable data-testid hooks. */
import { readFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import type { TestServer } from './server';

export interface SegmentOut {
  start: number;
  end: number;
  text: string;
}

export async function openApp(page: Page, server: TestServer, modelId: string, device: 'wasm' | 'webgpu', dtype: string) {
  await page.goto(`${server.url}/?models=${encodeURIComponent(`${server.url}/models`)}&model=${encodeURIComponent(modelId)}`);
  await page.selectOption('[data-testid=device-select]', device);
  await page.selectOption('[data-testid=dtype-select]', dtype);
}

export async function state(page: Page): Promise<string> {
  return (await page.getAttribute('[data-testid=status]', 'data-state')) ?? '';
}

/** Choose a file, press Transcribe, wait until done or error. */
export async function transcribe(page: Page, file: string, timeoutMs = 300_000): Promise<{ state: string; segments: SegmentOut[] }> {
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
      text: el.querySelector('span')?.textContent ?? '',
    })),
  );
}

export async function download(page: Page, testid: string): Promise<{ name: string; text: string }> {
  const [d] = (await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)])) as [Download, void];
  const path = await d.path();
  return { name: d.suggestedFilename(), text: readFileSync(path, 'utf8') };
}
