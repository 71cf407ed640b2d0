/**
 * The app on real Whisper and real speech, against faster-whisper and the plain transformers.js
 * pipeline on the same audio and thread count, in one run (issue 15, part 1: measure):
 *   npx tsx bench/real-speech.ts [60s|10min|5min-read]
 * Prints per model × threads: RTF of each, the app's tokens per window, decoder ms/step,
 * encoder ms/window, time outside ONNX Runtime, and WER of all three. faster-whisper rows appear
 * when it is installed (Python is a benchmark reference only; FW_PYTHON names the interpreter of a
 * virtual environment that has it), with its fallback count beside the app's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launch } from '../tests/e2e/browser';
import { openApp, transcribe } from '../tests/e2e/app';
import { BASELINE_DIST } from '../tests/e2e/baseline';
import { BASE_MODEL, TINY_EN_MODEL } from '../tests/e2e/fixtures';
import { startServer } from '../tests/e2e/server';
import { wer } from '../tests/fixtures/wer';
import { BENCH_AUDIO, benchAudio, benchReference, readReference } from './audio';
import type { JobStats } from '../workers/asr/protocol';
import { upsertLatest } from './latest';

const ROOT = resolve(import.meta.dirname, '..');
const which = (process.argv[2] ?? '60s') as '60s' | '10min' | '5min-read';
const audio = benchAudio()[which];
const seconds = { '60s': 60, '10min': 598.7, '5min-read': 300 }[which];
const reference = { '60s': () => benchReference(60, 0.1), '10min': () => benchReference(600, 0.25), '5min-read': () => readReference(300) }[which]();
const models = [
  { id: 'whisper-tiny.en', dir: TINY_EN_MODEL, fw: 'tiny.en' },
  { id: 'whisper-base', dir: BASE_MODEL, fw: 'base' },
];
const only = process.env.MODELS?.split(',');
if (only) models.splice(0, models.length, ...models.filter((m) => only.includes(m.id)));
const threadsList = process.env.THREADS ? process.env.THREADS.split(',').map(Number) : [1, 2];

function fasterWhisper(model: string, threads: number): { rtf: number; text: string; windows: number; fallbacks: number } | null {
  try {
    const out = execFileSync(process.env.FW_PYTHON ?? 'python3', [join(ROOT, 'bench/faster_whisper_ref.py'), '--model', model, '--threads', String(threads), '--language', 'en', audio], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch {
    return null;
  }
}

const server = await startServer(join(ROOT, 'dist'), Object.fromEntries(models.map((m) => [m.id, m.dir])), { '/baseline/': BASELINE_DIST, '/bench-audio/': BENCH_AUDIO });
const browser = await launch();
const rows: Record<string, unknown>[] = [];
for (const m of models) {
  for (const threads of threadsList) {
    const app = async (query: string) => {
      const page = await browser.newPage();
      await openApp(page, server, m.id, 'wasm', 'q8', query);
      await page.selectOption('[data-testid=language-select]', 'en').catch(() => {});
      // Warm: the first run loads the model; the second is timed.
      await transcribe(page, audio, 1_800_000);
      const t0 = Date.now();
      const r = await transcribe(page, audio, 1_800_000);
      const wall = (Date.now() - t0) / 1000;
      const stats = JSON.parse((await page.getAttribute('[data-testid=status]', 'data-stats'))!) as JobStats;
      await page.close();
      return { wall, stats, text: r.segments.map((s) => s.text).join(' ') };
    };
    // The same app with every step on transformers.js's merged decoder: what the step model gains, side by side.
    const merged = process.env.NO_MERGED ? null : await app(`threads=${threads}&decoder=merged`);
    const { wall, stats, text: appText } = await app(`threads=${threads}`);
    console.log(`app ${wall} s (worker ${stats.seconds.toFixed(2)} s)${merged ? `, merged decoder ${merged.wall} s (worker ${merged.stats.seconds.toFixed(2)} s)` : ""}`);

    const base = await browser.newPage();
    await base.goto(`${server.url}/baseline/index.html`);
    await base.waitForFunction(() => 'baseline' in window);
    await base.evaluate((req) => (window as never as { baseline: { load(r: unknown): Promise<unknown> } }).baseline.load(req), { modelBase: `${server.url}/models`, modelId: m.id, device: 'wasm', dtype: 'q8', threads });
    const b0 = Date.now();
    const b = (await base.evaluate(([u, l]) => (window as never as { baseline: { run(u: string, l: string, w: boolean): Promise<{ text: string }> } }).baseline.run(u, l, false), [`${server.url}/bench-audio/${audio.split('/').pop()}`, 'en'] as const)) as { text: string };
    const pipelineWall = (Date.now() - b0) / 1000;
    await base.close();

    const fw = fasterWhisper(m.fw, threads);
    const row = {
      model: m.id,
      dtype: 'q8',
      device: `wasm-${threads}t`,
      audio: `${which}-real`,
      rtf: +(wall / seconds).toFixed(4),
      pipeline_rtf: +(pipelineWall / seconds).toFixed(4),
      rtf_ratio: +(wall / pipelineWall).toFixed(3),
      fw_rtf: fw ? fw.rtf : null,
      fw_ratio: fw ? +((wall / seconds) / fw.rtf).toFixed(2) : null,
      windows: stats.windows,
      fallbacks: stats.fallbacks,
      redecodes: stats.redecodes,
      fw_windows: fw ? fw.windows : null,
      fw_fallbacks: fw ? fw.fallbacks : null,
      encoder_s: +stats.encoderSeconds.toFixed(2),
      decoder_s: +stats.decoderSeconds.toFixed(2),
      outside_ort_s: +(stats.seconds - stats.sessionSeconds).toFixed(2),
      tokens_per_window: +(stats.tokens / Math.max(1, stats.windows)).toFixed(1),
      // All decoder time (first steps with the prompt, cached steps, fallbacks, alignment passes) per token kept.
      decoder_ms_per_token: +((1000 * stats.decoderSeconds) / Math.max(1, stats.tokens)).toFixed(1),
      decoder_ms_per_run: +((1000 * stats.decoderSeconds) / Math.max(1, stats.decoderRuns)).toFixed(1),
      step_ms: stats.stepRuns ? +((1000 * stats.stepSeconds) / stats.stepRuns).toFixed(1) : null,
      encoder_ms_per_window: +((1000 * stats.encoderSeconds) / Math.max(1, stats.encoderRuns)).toFixed(0),
      outside_ort_share: +(1 - stats.sessionSeconds / stats.seconds).toFixed(3),
      decoder_runs: stats.decoderRuns,
      merged_rtf: merged ? +(merged.wall / seconds).toFixed(4) : null,
      merged_decoder_ms_per_token: merged ? +((1000 * merged.stats.decoderSeconds) / Math.max(1, merged.stats.tokens)).toFixed(1) : null,
      merged_decoder_ms_per_run: merged ? +((1000 * merged.stats.decoderSeconds) / Math.max(1, merged.stats.decoderRuns)).toFixed(1) : null,
      merged_wer: merged ? +wer([{ reference, hypothesis: merged.text }]).toFixed(4) : null,
      same_text_as_merged: merged ? merged.text === appText : null,
      wer: +wer([{ reference, hypothesis: appText }]).toFixed(4),
      pipeline_wer: +wer([{ reference, hypothesis: b.text }]).toFixed(4),
      fw_wer: fw ? +wer([{ reference, hypothesis: fw.text }]).toFixed(4) : null,
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
}
await browser.close();
await server.close();
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, `bench/results/real-speech-${which}${only ? `-${only.join('+')}` : ''}.json`), JSON.stringify({ date: new Date().toISOString(), cpus: 2, rows }, null, 2) + '\n');
upsertLatest(rows, `bench/real-speech.ts ${which}`);
