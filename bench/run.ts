/**
 * `npm run bench`: the production app and the baseline page, side by side in one headless
 * Chromium run, on the same models, audio, device and decode budget. Prints a table and writes
 * bench/results/latest.{json,md}. Figures are medians of the runs; the scenario list keeps the
 * whole run under 15 minutes on a 2-core machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureRandomModel, BENCH_DECODER_POSITIONS } from '../tests/fixtures/models/make-random-model';
import { launch } from '../tests/e2e/browser';
import { startServer, type TestServer } from '../tests/e2e/server';
import { BENCH_AUDIO, benchAudio } from './audio';
import { liveBenchmark, type LiveFigures } from './live';
import { rendererRssMb } from './rss';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
const QUICK = process.env.BENCH_QUICK === '1';

interface Scenario {
  model: 'tiny-dims' | 'base-dims' | 'test-memorized';
  dtype: string;
  device: 'wasm-1t' | 'wasm-2t' | 'webgpu';
  audio: '60s' | '10min' | 'clips';
  runs: number;
  /** For `clips`: how many of the memorized clips. */
  clips?: number;
}

const SCENARIOS: Scenario[] = [
  { model: 'tiny-dims', dtype: 'q8', device: 'wasm-1t', audio: '60s', runs: 3 },
  { model: 'tiny-dims', dtype: 'q8', device: 'wasm-2t', audio: '60s', runs: 3 },
  { model: 'tiny-dims', dtype: 'q8', device: 'wasm-2t', audio: '10min', runs: 1 },
  { model: 'base-dims', dtype: 'q8', device: 'wasm-1t', audio: '60s', runs: 3 },
  { model: 'base-dims', dtype: 'q8', device: 'wasm-2t', audio: '60s', runs: 3 },
  { model: 'base-dims', dtype: 'q8', device: 'wasm-2t', audio: '10min', runs: 1 },
  { model: 'test-memorized', dtype: 'q8', device: 'wasm-2t', audio: 'clips', runs: 1, clips: 8 },
  // Software WebGPU (SwiftShader) is far too slow for real dimensions inside the 15-minute budget
  // (tiny-dims fp32, 60 s: the baseline alone took 524 s), so it runs the small trained model.
  { model: 'test-memorized', dtype: 'fp32', device: 'webgpu', audio: 'clips', runs: 1, clips: 2 },
];

const log = (line: string) => process.stderr.write(`  ${line}\n`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const INSTRUMENT = `
  window.__bench = { longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

interface PageFigures {
  longestTaskMs: number;
  tasksOver50: number;
  peakMemoryMb: number;
}

let memoryTimer: ReturnType<typeof setInterval> | null = null;
let memoryPeak = 0;

async function startMeasuring(page: Page) {
  await page.evaluate('window.__bench.longTasks = []');
  memoryPeak = rendererRssMb();
  memoryTimer = setInterval(() => (memoryPeak = Math.max(memoryPeak, rendererRssMb())), 200);
}
async function stopMeasuring(page: Page): Promise<PageFigures> {
  clearInterval(memoryTimer!);
  const b = (await page.evaluate('window.__bench')) as { longTasks: { duration: number }[] };
  return {
    longestTaskMs: Math.max(0, ...b.longTasks.map((t) => t.duration)),
    tasksOver50: b.longTasks.filter((t) => t.duration > 50).length,
    peakMemoryMb: Math.max(memoryPeak, rendererRssMb()),
  };
}

interface RunFigures extends PageFigures {
  wallSeconds: number;
  audioSeconds: number;
  sessionSeconds: number;
  encoderMsPerWindow: number;
  decoderMsPerToken: number;
  windows: number;
  tokens: number;
}

/** Per-file session figures, summed over the files of one run. */
interface Totals {
  wall: number;
  audio: number;
  session: number;
  enc: number;
  encRuns: number;
  dec: number;
  decRuns: number;
}
const emptyTotals = (): Totals => ({ wall: 0, audio: 0, session: 0, enc: 0, encRuns: 0, dec: 0, decRuns: 0 });

async function finishRun(page: Page, side: string, t: Totals): Promise<RunFigures> {
  const figures = await stopMeasuring(page);
  log(`${side} run ${t.wall.toFixed(1)} s`);
  return {
    ...figures,
    wallSeconds: t.wall,
    audioSeconds: t.audio,
    sessionSeconds: t.session,
    encoderMsPerWindow: (t.enc / Math.max(1, t.encRuns)) * 1000,
    decoderMsPerToken: (t.dec / Math.max(1, t.decRuns)) * 1000,
    windows: t.encRuns,
    tokens: t.decRuns,
  };
}

function modelDir(model: Scenario['model']) {
  return model === 'test-memorized' ? join(SHARED, 'models/earshot-test-memorized') : ensureRandomModel(model);
}
const modelId = (model: Scenario['model']) => (model === 'test-memorized' ? 'earshot-test-memorized' : `earshot-random-${model}`);

function audioFiles(s: Scenario): string[] {
  if (s.audio === 'clips') {
    const dir = join(SHARED, 'test-clips/memorized');
    const count = QUICK ? 2 : (s.clips ?? 8);
    return readFileSync(join(dir, 'transcripts.tsv'), 'utf8').trim().split('\n').slice(1, 1 + count).map((r) => join(dir, r.split('\t')[0]));
  }
  return [benchAudio()[s.audio]];
}

const deviceOf = (s: Scenario) => (s.device === 'webgpu' ? 'webgpu' : 'wasm');
const threadsOf = (s: Scenario) => (s.device === 'wasm-1t' ? 1 : 2);

async function appScenario(browser: Browser, server: TestServer, s: Scenario) {
  // No service worker: its background precaching (~26 MB) would run during the cold load the
  // baseline page does not have, and the server sends COOP/COEP itself.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  const url = `${server.url}/?models=${encodeURIComponent(`${server.url}/models`)}&model=${modelId(s.model)}&threads=${threadsOf(s)}&fallback=0`;
  const load = async () => {
    await page.goto(url);
    await page.selectOption('[data-testid=device-select]', deviceOf(s));
    await page.selectOption('[data-testid=dtype-select]', s.dtype);
    // The baseline is told the language too: no language-ID step on either side.
    await page.selectOption('[data-testid=language-select]', 'en');
    // Random weights: a prompt of earlier text ends their windows early (not like for like).
    await page.uncheck('[data-testid=use-context]');
    const t0 = performance.now();
    await page.click('[data-testid=load-model]');
    await page.waitForFunction(() => /Ready/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''), null, { timeout: 600_000 });
    return (performance.now() - t0) / 1000;
  };
  const coldLoad = await load();
  const warmLoad = await load();
  log(`app load ${coldLoad.toFixed(1)}/${warmLoad.toFixed(1)} s`);
  const runs: RunFigures[] = [];
  for (let r = 0; r < s.runs; r++) {
    const agg = emptyTotals();
    await startMeasuring(page);
    for (const file of audioFiles(s)) {
      await page.setInputFiles('[data-testid=file-input]', file);
      const t0 = performance.now();
      await page.click('[data-testid=transcribe]');
      await page.waitForSelector('[data-testid=status][data-state=transcribing]', { timeout: 60_000 });
      await page.waitForSelector('[data-testid=status][data-state=done], [data-testid=status][data-state=error]', { timeout: 1_200_000 });
      agg.wall += (performance.now() - t0) / 1000;
      const stats = JSON.parse((await page.getAttribute('[data-testid=status]', 'data-stats')) ?? 'null');
      if (!stats) throw new Error(`app run failed: ${await page.textContent('[data-testid=error]').catch(() => '?')}`);
      agg.audio += Number(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }));
      agg.session += stats.sessionSeconds;
      agg.enc += stats.encoderSeconds;
      agg.encRuns += stats.encoderRuns;
      agg.dec += stats.decoderSeconds;
      agg.decRuns += stats.decoderRuns;
    }
    runs.push(await finishRun(page, 'app', agg));
  }
  await context.close();
  return { coldLoad, warmLoad, runs };
}

async function baselineScenario(browser: Browser, server: TestServer, s: Scenario) {
  const context = await browser.newContext();
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  const request = { modelBase: `${server.url}/models`, modelId: modelId(s.model), device: deviceOf(s), dtype: s.dtype, threads: threadsOf(s) };
  const load = async () => {
    await page.goto(`${server.url}/bench/index.html`);
    await page.waitForFunction(() => 'baseline' in window);
    return ((await page.evaluate((r) => (window as never as { baseline: { load(r: unknown): Promise<{ seconds: number }> } }).baseline.load(r), request)) as { seconds: number }).seconds;
  };
  const coldLoad = await load();
  const warmLoad = await load();
  log(`baseline load ${coldLoad.toFixed(1)}/${warmLoad.toFixed(1)} s`);
  const runs: RunFigures[] = [];
  for (let r = 0; r < s.runs; r++) {
    const agg = emptyTotals();
    await startMeasuring(page);
    for (const file of audioFiles(s)) {
      const rel = file.startsWith(BENCH_AUDIO) ? `/bench-audio/${file.slice(BENCH_AUDIO.length + 1)}` : `/clips/${file.split('/').pop()}`;
      const out = (await page.evaluate(
        ([u, l]) => (window as never as { baseline: { run(u: string, l: string): Promise<unknown> } }).baseline.run(u, l),
        [rel, 'en'],
      )) as { wallSeconds: number; audioSeconds: number; sessionSeconds: number; encoderSeconds: number; encoderRuns: number; decoderSeconds: number; decoderRuns: number };
      agg.wall += out.wallSeconds;
      agg.audio += out.audioSeconds;
      agg.session += out.sessionSeconds;
      agg.enc += out.encoderSeconds;
      agg.encRuns += out.encoderRuns;
      agg.dec += out.decoderSeconds;
      agg.decRuns += out.decoderRuns;
    }
    runs.push(await finishRun(page, 'baseline', agg));
  }
  await context.close();
  return { coldLoad, warmLoad, runs };
}

function summarise(x: { coldLoad: number; warmLoad: number; runs: RunFigures[] }) {
  const m = (f: (r: RunFigures) => number) => median(x.runs.map(f));
  return {
    rtf: m((r) => r.wallSeconds / r.audioSeconds),
    wall_s: m((r) => r.wallSeconds),
    overhead: m((r) => r.wallSeconds / r.sessionSeconds),
    encoder_ms_per_window: m((r) => r.encoderMsPerWindow),
    decoder_ms_per_token: m((r) => r.decoderMsPerToken),
    windows: m((r) => r.windows),
    tokens: m((r) => r.tokens),
    longest_task_ms: m((r) => r.longestTaskMs),
    tasks_over_50ms: m((r) => r.tasksOver50),
    peak_memory_mb: m((r) => r.peakMemoryMb),
    cold_load_s: x.coldLoad,
    warm_load_s: x.warmLoad,
  };
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  // BENCH_ONLY=base-dims:wasm-2t:60s runs the matching scenarios only (while working on speed).
  const only = process.env.BENCH_ONLY?.split(',');
  let scenarios = QUICK ? SCENARIOS.filter((s) => s.audio !== '10min' && s.device !== 'webgpu').map((s) => ({ ...s, runs: 1 })) : SCENARIOS;
  if (only) scenarios = scenarios.filter((s) => only.includes(`${s.model}:${s.device}:${s.audio}`));
  const runLive = !only || only.includes('live');
  const audio = benchAudio(); // make the recordings before anything is timed
  const models: Record<string, string> = {};
  for (const s of scenarios) models[modelId(s.model)] = modelDir(s.model);
  if (runLive) models[modelId('tiny-dims')] = modelDir('tiny-dims');
  const server = await startServer(join(ROOT, 'dist'), models, {
    '/bench/': join(ROOT, '.cache/bench-dist'),
    '/bench-audio/': BENCH_AUDIO,
    '/clips/': join(SHARED, 'test-clips/memorized'),
  });
  const browser = await launch({ webgpu: true });
  const rows = [];
  const started = Date.now();
  for (const s of scenarios) {
    process.stderr.write(`[bench] ${s.model} ${s.dtype} ${s.device} ${s.audio} × ${s.runs}\n`);
    const t0 = Date.now();
    // Alternate who goes first between scenarios so warm-up effects do not favour one side.
    const appFirst = rows.length % 2 === 0;
    const first = await (appFirst ? appScenario : baselineScenario)(browser, server, s);
    const second = await (appFirst ? baselineScenario : appScenario)(browser, server, s);
    const app = summarise(appFirst ? first : second);
    const base = summarise(appFirst ? second : first);
    log(`scenario ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    rows.push({
      ...s,
      decode_budget_positions: s.model === 'test-memorized' ? null : BENCH_DECODER_POSITIONS,
      app_rtf: round(app.rtf),
      baseline_rtf: round(base.rtf),
      rtf_ratio: round(app.rtf / base.rtf),
      overhead_ratio: round(app.overhead),
      baseline_overhead_ratio: round(base.overhead),
      app_encoder_ms_per_window: round(app.encoder_ms_per_window, 1),
      baseline_encoder_ms_per_window: round(base.encoder_ms_per_window, 1),
      app_decoder_ms_per_token: round(app.decoder_ms_per_token, 2),
      baseline_decoder_ms_per_token: round(base.decoder_ms_per_token, 2),
      app_windows: app.windows,
      baseline_windows: base.windows,
      app_tokens: app.tokens,
      baseline_tokens: base.tokens,
      longest_main_thread_task_ms: round(app.longest_task_ms, 0),
      baseline_longest_main_thread_task_ms: round(base.longest_task_ms, 0),
      main_thread_tasks_over_50ms: app.tasks_over_50ms,
      baseline_main_thread_tasks_over_50ms: base.tasks_over_50ms,
      peak_memory_mb: round(app.peak_memory_mb, 0),
      baseline_peak_memory_mb: round(base.peak_memory_mb, 0),
      memory_ratio: round(app.peak_memory_mb / base.peak_memory_mb),
      cold_load_s: round(app.cold_load_s, 2),
      baseline_cold_load_s: round(base.cold_load_s, 2),
      warm_load_s: round(app.warm_load_s, 2),
      baseline_warm_load_s: round(base.warm_load_s, 2),
      warm_load_ratio: round(app.warm_load_s / base.warm_load_s),
    });
  }
  await browser.close();
  let live: LiveFigures | null = null;
  if (runLive) {
    process.stderr.write('[bench] live: tiny-dims q8 wasm-2t, fake microphone\n');
    // BENCH_LIVE_SECONDS=1800 for the 30-minute memory run (the fake microphone loops the file).
    const liveSeconds = Number(process.env.BENCH_LIVE_SECONDS) || (QUICK ? 40 : 115);
    live = await liveBenchmark(server, audio.live, modelId('tiny-dims'), rendererRssMb, liveSeconds);
    log(JSON.stringify(live));
  }
  const meta = {
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memory_gb: round(os.totalmem() / 2 ** 30, 1), platform: `${os.platform()} ${os.release()}` },
    browser: `Chromium ${browser.version()} (headless; WebGPU = SwiftShader software adapter: not comparable with CPU times)`,
    versions: {
      earshot: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
      transformers: JSON.parse(readFileSync(join(ROOT, 'node_modules/@huggingface/transformers/package.json'), 'utf8')).version,
      'onnxruntime-web': JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version,
      node: process.version,
    },
    quick: QUICK,
    seconds: round((Date.now() - started) / 1000, 0),
  };
  await server.close();

  const columns = ['model', 'dtype', 'device', 'audio', 'runs', 'app_rtf', 'baseline_rtf', 'rtf_ratio', 'overhead_ratio', 'baseline_overhead_ratio', 'app_encoder_ms_per_window', 'baseline_encoder_ms_per_window', 'app_decoder_ms_per_token', 'baseline_decoder_ms_per_token', 'app_windows', 'baseline_windows', 'app_tokens', 'baseline_tokens', 'longest_main_thread_task_ms', 'baseline_longest_main_thread_task_ms', 'main_thread_tasks_over_50ms', 'peak_memory_mb', 'baseline_peak_memory_mb', 'memory_ratio', 'cold_load_s', 'baseline_cold_load_s', 'warm_load_s', 'baseline_warm_load_s', 'warm_load_ratio'] as const;
  const md = [
    `# Earshot benchmark — ${meta.date}`,
    '',
    `Commit ${meta.commit}; ${meta.machine.cpu} × ${meta.machine.cores}, ${meta.machine.memory_gb} GiB; ${meta.browser}; transformers ${meta.versions.transformers}, onnxruntime-web ${meta.versions['onnxruntime-web']}.`,
    `App = Earshot (production build). Baseline = \`pipeline('automatic-speech-recognition')\` with \`chunk_length_s: 30, stride_length_s: 5\` in a worker (bench/baseline). Same model files, audio, device and decode budget (random-weight models end each window after ${BENCH_DECODER_POSITIONS} decoder positions). Ratios are app ÷ baseline; figures are medians of \`runs\`.`,
    '',
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => String((r as Record<string, unknown>)[c] ?? '')).join(' | ')} |`),
    '',
    ...(live
      ? [
          '## Live (microphone)',
          '',
          'A session through the fake microphone (bench audio `live-120s.wav`: utterances with pauses), tiny-dims q8 random-weight model, WASM 2 threads, app defaults (earlier text as prompt). Latency: from the capture of an utterance\'s last speech frame (the session\'s audio clock, not when the worker handled it) to its final text. Capture CPU: the worklet\'s resampler (timed in Node on 48 kHz input in 128-sample blocks) plus the VAD runs in the worker, as a share of one core per second of audio. RSS: the renderer at 5 s and at the end of the session.',
          '',
          `| ${Object.keys(live).join(' | ')} |`,
          `| ${Object.keys(live).map(() => '---').join(' | ')} |`,
          `| ${Object.values(live).map((v) => (Array.isArray(v) ? v.join(' ') : v)).join(' | ')} |`,
          '',
        ]
      : []),
  ].join('\n');
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  // Partial runs (quick, or picked scenarios) never overwrite the full results.
  const name = QUICK ? 'quick' : only ? 'partial' : 'latest';
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...meta, rows, live }, null, 2) + '\n');
  writeFileSync(join(dir, `${name}.md`), md);
  console.log(md);
  const brief = ['model', 'dtype', 'device', 'audio', 'app_rtf', 'baseline_rtf', 'rtf_ratio', 'overhead_ratio', 'longest_main_thread_task_ms', 'peak_memory_mb', 'memory_ratio', 'warm_load_s'] as const;
  console.table(rows.map((r) => Object.fromEntries(brief.map((c) => [c, (r as Record<string, unknown>)[c]]))));
}

await main();
