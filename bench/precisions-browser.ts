/**
 * `npm run precisions:browser`: the speed of each precision where users run it — the built app in
 * Chromium on the WASM backend (2 threads), not onnxruntime-node's native kernels, whose ratios
 * between int8 and float arithmetic need not be WASM SIMD's. The one-minute English bench
 * recording (bench/audio.ts), a warm-up run (which loads the model) and a timed one per
 * precision. Writes the "Precisions in the browser" section of docs/accuracy.md.
 *
 * Needs `npm run build` and the files `tools/make_precisions.py` makes in .cache/precisions/
 * (without them, the precisions ../shared/models ships).
 * encoder/decoder rows that the precision menu cannot ask for (it sets both parts) are Auto's
 * pick on a folder that ships only those two files.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from '../tests/e2e/browser';
import { openApp, transcribe } from '../tests/e2e/app';
import { ROOT } from '../tests/e2e/fixtures';
import { startServer } from '../tests/e2e/server';
import { wer } from '../tests/fixtures/wer';
import { benchAudio, benchReference } from './audio';
import type { JobStats } from '../workers/asr/protocol';

const PRECISIONS = join(ROOT, '.cache/precisions');
const SHARED_MODELS = join(ROOT, '../shared/models');
const SECONDS = 60;
const audio = benchAudio()['60s'];
const reference = benchReference(60, 0.1);
const MODELS = ['tiny.en', 'base'];
const UNIFORM = ['q8', 'int8', 'q4', 'fp32'];
const MIXED = [['fp32', 'q8']] as const;

const suffix = (d: string) => ({ fp32: '', q8: '_quantized' })[d] ?? `_${d}`;
const file = (dir: string, part: 'encoder' | 'decoder', dtype: string) => join(dir, 'onnx', `${part === 'encoder' ? 'encoder_model' : 'decoder_model_merged'}${suffix(dtype)}.onnx`);
const ships = (dir: string, encoder: string, decoder: string) => existsSync(file(dir, 'encoder', encoder)) && existsSync(file(dir, 'decoder', decoder));

/** A folder with the model's configs and only these two ONNX files (links), so Auto has no other choice. */
function onlyFiles(dir: string, encoder: string, decoder: string): string {
  const out = mkdtempSync(join(tmpdir(), 'earshot-mixed-'));
  for (const f of readdirSync(dir)) if (f.endsWith('.json')) symlinkSync(join(dir, f), join(out, f));
  mkdirSync(join(out, 'onnx'));
  for (const [part, d] of [['encoder', encoder], ['decoder', decoder]] as const) symlinkSync(file(dir, part, d), join(out, 'onnx', file(dir, part, d).split('/').pop()!));
  return out;
}

// Without the made precisions, the shared models' own files (q8, and tiny.en's fp32 encoder) still give rows.
const runs: { model: string; id: string; dir: string; dtype: string; label: string }[] = [];
for (const model of MODELS) {
  const made = join(PRECISIONS, `whisper-${model}`);
  const dir = existsSync(join(made, 'onnx')) ? made : join(SHARED_MODELS, `whisper-${model}`);
  if (dir !== made) console.warn(`${model}: only the shared files (run \`python3 tools/make_precisions.py --model ${model}\` for every precision)`);
  for (const dtype of UNIFORM) if (ships(dir, dtype, dtype)) runs.push({ model, id: `whisper-${model}`, dir, dtype, label: dtype });
  for (const [e, d] of MIXED) if (ships(dir, e, d)) runs.push({ model, id: `whisper-${model}-${e}-${d}`, dir: onlyFiles(dir, e, d), dtype: 'auto', label: `${e}/${d}` });
}

const server = await startServer(join(ROOT, 'dist'), Object.fromEntries(runs.map((r) => [r.id, r.dir])));
const browser = await launch();
const lines: string[] = [];
for (const r of runs) {
  const page = await browser.newPage();
  await openApp(page, server, r.id, 'wasm', r.dtype, 'threads=2');
  await page.selectOption('[data-testid=language-select]', 'en').catch(() => {});
  await transcribe(page, audio, 1_800_000);
  const t0 = Date.now();
  const out = await transcribe(page, audio, 1_800_000);
  const wall = (Date.now() - t0) / 1000;
  const stats = JSON.parse((await page.getAttribute('[data-testid=status]', 'data-stats'))!) as JobStats;
  const loaded = r.dtype === 'auto' ? await page.getAttribute('[data-testid=dtype-note]', 'data-dtype', { timeout: 1000 }).catch(() => null) : null;
  await page.close();
  const text = out.segments.map((s) => s.text).join(' ');
  lines.push(`| whisper-${r.model} | ${r.label}${loaded ? ` (Auto picked ${loaded})` : ''} | ${(SECONDS / wall).toFixed(1)}× | ${(1000 * stats.encoderSeconds / Math.max(1, stats.encoderRuns)).toFixed(0)} ms | ${(1000 * stats.decoderSeconds / Math.max(1, stats.tokens)).toFixed(1)} ms | ${(wer([{ reference, hypothesis: text }]) * 100).toFixed(1)} % |`);
  console.log(lines.at(-1));
}
await browser.close();
await server.close();

const section = `<!-- precisions-browser: written by \`npm run precisions:browser\` -->
## Precisions in the browser (${new Date().toISOString().slice(0, 10)}, Chromium, WASM, 2 threads, ${cpus()[0]?.model ?? 'CPU'})

The same files as above, in the built app: the one-minute English bench recording, timed on a
second run (the first loads the model). Speed: audio seconds per wall second; encoder time per
30 s window; decoder time per kept token (every decoder run included); WER on that recording.

| model | precision | speed | encoder / window | decoder / token | WER |
|---|---|---|---|---|---|
${lines.join('\n')}
<!-- /precisions-browser -->`;

const docPath = join(ROOT, 'docs/accuracy.md');
const doc = readFileSync(docPath, 'utf8');
const block = /<!-- precisions-browser:[\s\S]*?<!-- \/precisions-browser -->/;
writeFileSync(docPath, block.test(doc) ? doc.replace(block, section) : `${doc.trimEnd()}\n\n${section}\n`);
console.log('wrote the Precisions in the browser section of docs/accuracy.md');
