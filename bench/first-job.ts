/**
 * What the load's warm-up costs and gives on the file path: a fresh browser per build, load to
 * ready, then the first file job (whisper-tiny.en q8, WASM 2 threads), builds alternated:
 *   npx tsx bench/first-job.ts [rounds] [folder…]   (after `vite build`; default: dist)
 * Prints per run: seconds from Load to Ready, the first job's seconds, and their sum (a person's
 * wait for their first transcript).
 */
import { join, resolve } from 'node:path';
import { openApp, transcribe } from '../tests/e2e/app';
import { launch } from '../tests/e2e/browser';
import { TINY_EN_MODEL } from '../tests/e2e/fixtures';
import { startServer } from '../tests/e2e/server';
import { benchAudio } from './audio';

const ROOT = resolve(import.meta.dirname, '..');
const rounds = Number(process.argv[2]) || 1;
const builds = process.argv.slice(3).length ? process.argv.slice(3).map((d) => resolve(d)) : [join(ROOT, 'dist')];
const audio = benchAudio()['60s'];
for (let r = 1; r <= rounds; r++) {
  for (const dist of builds) {
    const server = await startServer(dist, { 'whisper-tiny.en': TINY_EN_MODEL });
    const browser = await launch();
    try {
      const page = await browser.newPage({ serviceWorkers: 'block' });
      await openApp(page, server, 'whisper-tiny.en', 'wasm', 'q8', 'threads=2');
      await page.selectOption('[data-testid=language-select]', 'en').catch(() => {});
      const t0 = Date.now();
      await page.click('[data-testid=load-model]');
      await page.waitForFunction(() => /Ready/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: 600_000 });
      const load = (Date.now() - t0) / 1000;
      const warmUp = await page.getAttribute('[data-testid=status]', 'data-warm-up');
      const t1 = Date.now();
      const job = await transcribe(page, audio, 600_000);
      const first = (Date.now() - t1) / 1000;
      if (job.state !== 'done') throw new Error(`job ended ${job.state}`);
      console.log(`${dist.split('/').pop()} round ${r}: load to ready ${load.toFixed(2)} s, first job ${first.toFixed(2)} s, sum ${(load + first).toFixed(2)} s (warm-up ${warmUp ?? 'none'} s)`);
    } finally {
      await browser.close();
      await server.close();
    }
  }
}
