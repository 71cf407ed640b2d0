import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ROOT } from './fixtures';
import type { TestServer } from './server';

/** Transcripts from the plain Node pipeline (cached by model, dtype, language and files). */
export function baselineTranscripts(modelDir: string, dtype: string, language: string, files: string[]): Map<string, string> {
  const key = createHash('sha256').update(JSON.stringify([modelDir, dtype, language, files])).digest('hex').slice(0, 16);
  const cached = join(CACHE, `baseline-${key}.json`);
  if (!existsSync(cached)) {
    const json = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'tests/fixtures/baseline-node.ts'), modelDir, dtype, language, ...files], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
      encoding: 'utf8',
    });
    writeFileSync(cached, json);
  }
  const rows = JSON.parse(readFileSync(cached, 'utf8')) as { file: string; text: string }[];
  return new Map(rows.map((r) => [r.file, r.text]));
}

/** Where global-setup builds the baseline page (bench/baseline): served under /baseline/. */
export const BASELINE_DIST = join(CACHE, 'bench-dist');

/**
 * The plain pipeline in the same browser as the app — `bench/baseline/`, what most browser
 * Whisper apps run: `pipeline('automatic-speech-recognition')`, 30 s chunks, 5 s stride — on
 * the same model files, device, dtype and threads, fed the same 16 kHz audio (ffmpeg-decoded
 * WAV). Same runtime, same arithmetic: any difference in text is the method's.
 * The server must mount BASELINE_DIST at /baseline/ and serve the model under /models/.
 */
export async function browserBaseline(
  browser: Browser,
  server: TestServer,
  model: { id: string; device: 'wasm' | 'webgpu'; dtype: string; threads?: number },
  language: string,
  wavFiles: string[],
  url: (file: string) => string,
): Promise<Map<string, string>> {
  const rows = await browserBaselineRuns(browser, server, model, language, wavFiles, url, false);
  return new Map([...rows].map(([f, r]) => [f, r.text]));
}

/** As `browserBaseline`, with the whole result (`words`: the pipeline's word timestamps). */
export async function browserBaselineRuns(
  browser: Browser,
  server: TestServer,
  model: { id: string; device: 'wasm' | 'webgpu'; dtype: string; threads?: number },
  language: string,
  wavFiles: string[],
  url: (file: string) => string,
  words: boolean,
): Promise<Map<string, { text: string; words?: { word: string; start: number; end: number }[] }>> {
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}/baseline/index.html`);
    await page.waitForFunction(() => 'baseline' in window);
    const request = { modelBase: `${server.url}/models`, modelId: model.id, device: model.device, dtype: model.dtype, threads: model.threads ?? 2 };
    await page.evaluate((r) => (window as never as { baseline: { load(r: unknown): Promise<unknown> } }).baseline.load(r), request);
    const out = new Map<string, { text: string; words?: { word: string; start: number; end: number }[] }>();
    for (const file of wavFiles) {
      const r = (await page.evaluate(([u, l, w]) => (window as never as { baseline: { run(u: string, l: string, w: boolean): Promise<{ text: string }> } }).baseline.run(u as string, l as string, w as boolean), [url(file), language, words] as const)) as { text: string; words?: { word: string; start: number; end: number }[] };
      out.set(file, r);
    }
    return out;
  } finally {
    await page.close();
  }
}
