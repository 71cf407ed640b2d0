/**
 * Live text on real Whisper: a session through the fake microphone (bench audio `live-120s.wav`,
 * real utterances of ../shared/audio with pauses) on whisper-tiny.en q8, WASM, 2 threads, the
 * app's defaults. Prints the figures of bench/live.ts (final latency median and p90, passes,
 * main-thread long tasks, memory) and keeps them as the `{mode: "live", model: "whisper-tiny.en"}`
 * row of bench/results/latest.json.
 *   npx tsx bench/live-real.ts [seconds]   (after `vite build`; DIST=folder measures another build, e.g. the one
 *   before a change copied aside, and then keeps no row)
 */
import { join, resolve } from 'node:path';
import { TINY_EN_MODEL } from '../tests/e2e/fixtures';
import { startServer } from '../tests/e2e/server';
import { benchAudio } from './audio';
import { upsertLatest } from './latest';
import { liveBenchmark } from './live';
import { rendererRssMb } from './rss';

const ROOT = resolve(import.meta.dirname, '..');
const seconds = Number(process.argv[2]) || 120;
const dist = process.env.DIST ? resolve(process.env.DIST) : join(ROOT, 'dist');
const server = await startServer(dist, { 'whisper-tiny.en': TINY_EN_MODEL });
try {
  // Side by side: every decode on transformers.js's merged decoder and generate() with whole-window encodes (as before issue 15), then the app as it is.
  const merged = process.env.NO_MERGED ? null : await liveBenchmark(server, benchAudio().live, 'whisper-tiny.en', rendererRssMb, seconds, '&decoder=merged&encoder=window');
  if (merged) console.log('merged decoder:', JSON.stringify(merged));
  const figures = await liveBenchmark(server, benchAudio().live, 'whisper-tiny.en', rendererRssMb, seconds);
  console.log('app:', JSON.stringify(figures));
  if (!process.env.DIST) {
    upsertLatest(
      [{ ...figures, dtype: 'q8', ...(merged ? { merged_final_latency_median_s: merged.final_latency_median_s, merged_final_latency_p90_s: merged.final_latency_p90_s } : {}) }],
      `bench/live-real.ts ${seconds}`,
    );
  }
} finally {
  await server.close();
}
