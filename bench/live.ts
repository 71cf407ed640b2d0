/**
 * The live figures: a session through the fake microphone (bench audio `live`, utterances with
 * pauses) on the tiny-dimension random-weight model, WASM, 2 threads, with the app's defaults
 * (earlier text as prompt). Reported:
 *  - seconds from the end of each utterance (the capture of its last speech frame) to its
 *    final text on screen: median and 90th percentile;
 *  - CPU share of the capture path: the worklet's resampler (timed here in Node, same V8, on
 *    48 kHz input in 128-sample blocks, the audio thread's workload) and the VAD's runs (timed in
 *    the worker);
 *  - renderer memory (RSS) at the start and end of the session and its slope.
 */
import type { Browser } from 'playwright-core';
import { Resampler } from '../src/domain/audio/resample';
import type { LiveStats } from '../workers/asr/protocol';
import { openApp, pressRecord } from '../tests/e2e/app';
import { launch } from '../tests/e2e/browser';
import type { TestServer } from '../tests/e2e/server';
import { profileWorker } from './worker-profile';

export interface LiveFigures {
  mode: 'live';
  model: string;
  device: string;
  session_s: number;
  utterances: number;
  final_latency_median_s: number;
  final_latency_p90_s: number;
  /** Medians of where the finals' latency went (LiveStats.finalParts). */
  final_parts_median_s: { vad: number; wait: number; decode: number; score: number };
  passes: number;
  pass_median_s: number;
  /**
   * Medians over the passes begun in the silence after speech (most finals): their seconds, the
   * encoder's, the merged decoder (its first run over prompt and draft), the step model's runs, and what
   * is outside ONNX Runtime (LiveStats.passParts).
   */
  likely_final_pass_median_s: { all: number; encoder: number; merged_decoder: number; steps: number; outside_ort: number };
  finals_from_passes: number;
  final_decodes: number;
  cancelled_passes: number;
  /** Tokens of earlier passes offered as drafts, the share the model kept, and decoder passes run. */
  draft_tokens: number;
  draft_accepted_share: number;
  decoder_steps: number;
  capture_cpu_percent: number;
  resampler_cpu_percent: number;
  vad_cpu_percent: number;
  rss_start_mb: number;
  rss_end_mb: number;
  rss_slope_mb_per_min: number;
  /** Renderer RSS once a minute through the session (MB). */
  rss_per_minute_mb: number[];
  /** The page's main thread while recording (PerformanceObserver `longtask`: tasks over 50 ms). */
  longest_main_thread_task_ms: number;
  main_thread_tasks_over_50ms: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** CPU share of the worklet's work: resample 60 s of 48 kHz audio in 128-sample blocks. */
function resamplerShare(): number {
  const rate = 48_000;
  const input = new Float32Array(rate * 60);
  for (let i = 0; i < input.length; i++) input[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate) + 0.05 * Math.sin(i * 0.37);
  const shares: number[] = [];
  for (let round = 0; round < 3; round++) {
    const r = new Resampler(rate, 16_000);
    const t0 = performance.now();
    for (let i = 0; i < input.length; i += 128) r.process(input.subarray(i, i + 128));
    shares.push((performance.now() - t0) / 1000 / 60);
  }
  return quantile(shares, 0.5);
}

export async function liveBenchmark(server: TestServer, file: string, modelId: string, rssMb: () => number, seconds: number, query = ''): Promise<LiveFigures> {
  const browser: Browser = await launch({ fakeMicWav: file });
  try {
    const page = await browser.newPage({ serviceWorkers: 'block' }); // as in the file scenarios
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await openApp(page, server, modelId, 'wasm', 'q8', `threads=2${query}`);
    await page.selectOption('[data-testid=language-select]', 'en').catch(() => {}); // English-only models have it fixed
    const loadStarted = Date.now();
    await page.click('[data-testid=load-model]');
    await page.waitForFunction(() => /Ready/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: 600_000 });
    console.log(`load to ready: ${((Date.now() - loadStarted) / 1000).toFixed(2)} s (warm-up ${(await page.getAttribute('[data-testid=status]', 'data-warm-up')) ?? 'none'} s)`);
    // PRE_SESSION=seconds: a session before the measured one (the engine and V8's compiled code warm, as for a person's second recording).
    if (process.env.PRE_SESSION) {
      await pressRecord(page);
      await page.waitForSelector('[data-testid=live-panel][data-live=recording]', { timeout: 60_000 });
      while (Number(await page.getAttribute('[data-testid=live-elapsed]', 'data-seconds')) < Number(process.env.PRE_SESSION)) await page.waitForTimeout(200);
      await page.click('[data-testid=stop]');
      await page.waitForSelector('[data-testid=recording-kept]', { timeout: 120_000 });
    }
    await pressRecord(page);
    // LIVE_PROFILE=file.cpuprofile: the ASR worker's CPU profile over the session, its top functions printed.
    const profiler = process.env.LIVE_PROFILE ? await profileWorker(browser, 'asr') : null;
    await page.waitForSelector('[data-testid=live-panel][data-live=recording]', { timeout: 60_000 });
    const clock = async () => Number(await page.getAttribute('[data-testid=live-elapsed]', 'data-seconds'));
    while ((await clock()) < 5) await page.waitForTimeout(200);
    const rssStart = rssMb();
    await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks = []));
    const clockStart = await clock();
    const perMinute: number[] = [Math.round(rssStart)];
    let nextSample = clockStart + 60;
    for (let now = await clock(); now < seconds; now = await clock()) {
      if (now >= nextSample) {
        perMinute.push(Math.round(rssMb()));
        nextSample += 60;
      }
      await page.waitForTimeout(500);
    }
    const rssEnd = rssMb();
    const clockEnd = await clock();
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    if (profiler) console.log(await profiler.stop(process.env.LIVE_PROFILE!));
    await page.click('[data-testid=stop]');
    await page.waitForSelector('[data-testid=recording-kept]', { timeout: 120_000 });
    const stats = JSON.parse((await page.getAttribute('[data-testid=status]', 'data-live-stats')) ?? 'null') as LiveStats | null;
    if (!stats) throw new Error('live session gave no figures');
    // LIVE_PARTS=1: each final's latency and its parts, in the order finished (to see which kind of final is slow).
    if (process.env.LIVE_PARTS) for (const p of stats.passParts) console.log('pass', JSON.stringify(p, (_, v) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v)));
    // LIVE_TIMELINE=1: what the decoder did when (seconds from the session's start), with each utterance's speech end and VAD end.
    if (process.env.LIVE_TIMELINE) for (const t of [...stats.timeline].sort((x, y) => x.start - y.start)) console.log(`${t.start.toFixed(3)}–${t.end.toFixed(3)} s ${t.what}`);
    if (process.env.LIVE_PARTS) for (const [i, p] of stats.finalParts.entries()) console.log(`final ${i + 1}: ${stats.latencies[i].toFixed(3)} s`, JSON.stringify(p));
    const session = Number(await page.getAttribute('[data-testid=recording-kept]', 'data-seconds'));
    const resampler = resamplerShare();
    const vad = stats.vadSeconds / session;
    return {
      mode: 'live',
      model: modelId,
      device: 'wasm-2t',
      session_s: Math.round(session * 10) / 10,
      utterances: stats.utterances,
      final_latency_median_s: round3(quantile(stats.latencies, 0.5)),
      final_latency_p90_s: round3(quantile(stats.latencies, 0.9)),
      final_parts_median_s: {
        vad: round3(quantile(stats.finalParts.map((p) => p.vad), 0.5)),
        wait: round3(quantile(stats.finalParts.map((p) => p.wait), 0.5)),
        decode: round3(quantile(stats.finalParts.map((p) => p.decode), 0.5)),
        score: round3(quantile(stats.finalParts.map((p) => p.score), 0.5)),
      },
      passes: stats.passes,
      pass_median_s: round3(quantile(stats.passSeconds, 0.5)),
      likely_final_pass_median_s: likelyFinalParts(stats.passParts.filter((p) => p.likelyFinal)),
      finals_from_passes: stats.finalsFromPasses,
      final_decodes: stats.finalPasses,
      cancelled_passes: stats.cancelledPasses,
      draft_tokens: stats.draftTokens ?? 0,
      draft_accepted_share: stats.draftTokens ? Math.round((1000 * stats.draftAccepted) / stats.draftTokens) / 1000 : 0,
      decoder_steps: stats.decoderSteps ?? 0,
      capture_cpu_percent: Math.round((resampler + vad) * 1000) / 10,
      resampler_cpu_percent: Math.round(resampler * 1000) / 10,
      vad_cpu_percent: Math.round(vad * 1000) / 10,
      rss_start_mb: Math.round(rssStart),
      rss_end_mb: Math.round(rssEnd),
      rss_slope_mb_per_min: Math.round(((rssEnd - rssStart) / ((clockEnd - clockStart) / 60)) * 10) / 10,
      rss_per_minute_mb: perMinute,
      longest_main_thread_task_ms: Math.round(Math.max(0, ...longTasks)),
      main_thread_tasks_over_50ms: longTasks.filter((d) => d > 50).length,
    };
  } finally {
    await browser.close();
  }
}

function likelyFinalParts(parts: LiveStats['passParts']) {
  const median = (f: (p: LiveStats['passParts'][number]) => number) => round3(quantile(parts.map(f), 0.5));
  return { all: median((p) => p.seconds), encoder: median((p) => p.encoder), merged_decoder: median((p) => p.decoder - p.step), steps: median((p) => p.step), outside_ort: median((p) => p.seconds - p.ort) };
}
